package httpapi

import (
	"testing"

	"github.com/userservice/userservice/ports/httpapi/openapitest"
)

// The document is the contract clients generate from: it must be a valid
// OpenAPI 3 document, examples included (kin-openapi's validator).
func TestOpenAPIDocumentIsValid(t *testing.T) {
	t.Parallel()
	if _, err := openapitest.Load(openapiSpec); err != nil {
		t.Fatal(err)
	}
}
