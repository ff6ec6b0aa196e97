package httpapi

import (
	"net/http"
	"testing"

	"github.com/userservice/userservice/app"

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

// checkedHandler is NewHandler whose every answer is checked against
// openapi.yaml: an answer outside the contract fails the test.
func checkedHandler(t *testing.T, application app.Application, cfg Config) (http.Handler, error) {
	h, err := NewHandler(application, cfg)
	if err != nil {
		return nil, err
	}
	return openapitest.New(t, openapiSpec).Handler(t, h), nil
}
