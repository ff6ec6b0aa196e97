package httpapi

import (
	_ "embed"
	"net/http"
)

// openapiSpec documents this API. It is embedded so the document served is
// always the one built with the code; a test keeps the two in step.
//
//go:embed openapi.yaml
var openapiSpec []byte

// serveOpenAPI handles GET /openapi.yaml. It needs no token: the contract is
// public, the data behind it is not.
func serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/yaml") // RFC 9512
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(openapiSpec)
	}
}

// OpenAPIDocument is the embedded document (openapi.yaml), for tools and
// tests that check the server against it.
func OpenAPIDocument() []byte { return openapiSpec }
