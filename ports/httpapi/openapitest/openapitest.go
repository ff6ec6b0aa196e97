// Package openapitest checks real HTTP answers against the API's contract,
// ports/httpapi/openapi.yaml: a test that sends requests through Transport
// (or records them with Check) fails when an answer's status, headers or body
// is not what the document declares for that operation. It is for tests
// only; nothing in the service imports it.
package openapitest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
)

// Load parses and validates a document (with its examples).
func Load(document []byte) (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(document)
	if err != nil {
		return nil, fmt.Errorf("openapi.yaml: %w", err)
	}
	if err := doc.Validate(context.Background(), openapi3.EnableExamplesValidation()); err != nil {
		return nil, fmt.Errorf("openapi.yaml is not a valid OpenAPI 3 document: %w", err)
	}
	return doc, nil
}

// Contract is a loaded document that answers can be checked against.
type Contract struct {
	router routers.Router
}

var (
	mu     sync.Mutex
	loaded = map[string]*Contract{}
)

// New loads document (httpapi.OpenAPIDocument()) once per process and
// returns its contract; t fails when the document is invalid.
func New(t testing.TB, document []byte) *Contract {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	if c, ok := loaded[string(document)]; ok {
		return c
	}
	doc, err := Load(document)
	if err != nil {
		t.Fatal(err)
	}
	doc.Servers = nil // match any host: tests run on random ports
	r, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	c := &Contract{router: r}
	loaded[string(document)] = c
	return c
}

// Covered reports whether the document is the contract of this path: the
// admin API (/v1/...) and the document itself. Other paths (SCIM, the
// console, health and metrics) have contracts of their own.
func Covered(path string) bool {
	return strings.HasPrefix(path, "/v1/") || path == "/openapi.yaml"
}

// Check fails t when the answer to req (status, header, body) is not one the
// document declares. A covered path or method the document does not know is
// a failure too, unless the server answered it 404 or 405 (every unknown path
// and method gets those, and the document says so).
func (c *Contract) Check(t testing.TB, req *http.Request, status int, header http.Header, body []byte) {
	t.Helper()
	if !Covered(req.URL.Path) {
		return
	}
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		if status == http.StatusNotFound || status == http.StatusMethodNotAllowed {
			return
		}
		t.Errorf("contract: %s %s answered %d, but openapi.yaml has no such operation (%v)", req.Method, req.URL.Path, status, err)
		return
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 status,
		Header:                 header,
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	in.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		msg := err.Error()
		if len(msg) > 1500 {
			msg = msg[:1500] + "..."
		}
		t.Errorf("contract: %s %s answered %d outside openapi.yaml (operation %s):\n%s\nbody: %.500s",
			req.Method, req.URL.Path, status, route.Operation.OperationID, msg, body)
	}
}

// Transport is an http.RoundTripper that checks every answer with Check.
func (c *Contract) Transport(t testing.TB, next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return roundTripper{c: c, t: t, next: next}
}

type roundTripper struct {
	c    *Contract
	t    testing.TB
	next http.RoundTripper
}

func (rt roundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := rt.next.RoundTrip(req)
	if err != nil || !Covered(req.URL.Path) {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	rt.c.Check(rt.t, req, resp.StatusCode, resp.Header, body)
	return resp, nil
}

// Handler wraps h so that every answer it gives is checked with Check, for
// tests that call the handler directly (httptest.NewRecorder).
func (c *Contract) Handler(t testing.TB, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &recorder{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(rec, r)
		c.Check(t, r, rec.status, w.Header(), rec.body.Bytes())
	})
}

type recorder struct {
	http.ResponseWriter
	status int
	wrote  bool
	body   bytes.Buffer
}

func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	r.wrote = true
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}

func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
