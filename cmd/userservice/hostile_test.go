package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/userservice/userservice/adapters/postgres/pgtest"
	"github.com/userservice/userservice/app/auth"
	"github.com/userservice/userservice/cmd/internal/service"
	"github.com/userservice/userservice/ports/httpapi"
	"github.com/userservice/userservice/ports/scim"
)

// hostile is one request the API must refuse with a 4xx and write nothing.
type hostile struct {
	name    string
	req     secRequest
	headers []string
	status  int
	code    string
}

// TestHostileRequestsAreRefusedAndWriteNothing sends oversized, deeply nested,
// non-UTF-8, injected and overlong input to every kind of body and header the
// API reads, and checks each answer (status, problem+json with its stable
// code) and that the tenant's events, users, jobs and settings are unchanged.
func TestHostileRequestsAreRefusedAndWriteNothing(t *testing.T) {
	t.Parallel()
	s := startService(t, "api")
	f := newSecFixture(t, s)
	tn := f.newSecTenant("hostile")
	user := "/v1/users/" + tn.userID

	huge := `{"given_name":"` + strings.Repeat("x", 2<<20) + `"}`
	nested := `{"title":` + strings.Repeat("[", 200000) + strings.Repeat("]", 200000) + `}`
	nestedObject := strings.Repeat(`{"title":`, 50000) + `"x"` + strings.Repeat("}", 50000)
	js := func(method, path, body string) secRequest {
		return secRequest{method: method, path: path, body: body, contentType: "application/json"}
	}
	cases := []hostile{
		{name: "oversized create", req: js("POST", "/v1/users", huge), status: 413, code: "body_too_large"},
		{name: "oversized patch", req: js("PATCH", user, huge), status: 413, code: "body_too_large"},
		{name: "oversized deactivate", req: js("POST", user+"/deactivate", huge), status: 413, code: "body_too_large"},
		{name: "oversized settings", req: js("PUT", "/v1/notification-settings", huge), status: 413, code: "body_too_large"},
		{name: "deeply nested array", req: js("POST", "/v1/users", nested), status: 400, code: "malformed_request"},
		{name: "deeply nested object", req: js("PATCH", user, nestedObject), status: 400, code: "malformed_request"},
		{name: "invalid UTF-8 in a create", req: js("POST", "/v1/users",
			`{"email":"utf@example.com","given_name":"Gr\xe2ce","family_name":"H\xff"}`), status: 400, code: "malformed_request"},
		{name: "invalid UTF-8 in a patch", req: js("PATCH", user, "{\"title\":\"\xc3\x28\"}"), status: 400, code: "malformed_request"},
		{name: "invalid UTF-8 in a reason", req: js("POST", user+"/deactivate", "{\"reason\":\"\xed\xa0\x80\"}"), status: 400, code: "malformed_request"},
		{name: "very long name", req: js("POST", "/v1/users", `{"email":"long@example.com","given_name":"`+
			strings.Repeat("N", 100000)+`","family_name":"L"}`), status: 422, code: "validation_failed"},
		{name: "very long e-mail", req: js("PATCH", user, `{"email":"`+strings.Repeat("e", 5000)+`@example.com"}`),
			status: 422, code: "validation_failed"},
		{name: "very long title", req: js("PATCH", user, `{"title":"`+strings.Repeat("T", 300000)+`"}`),
			status: 422, code: "validation_failed"},
		{name: "a list where a string goes", req: js("PATCH", user, `{"title":["a"]}`), status: 400, code: "malformed_request"},
		{name: "header injection in a notice address", req: js("PUT", "/v1/notification-settings",
			`{"emails":["ops@example.com\r\nBcc: thief@example.org"]}`), status: 422, code: "invalid_settings"},
		{name: "header injection in a webhook URL", req: js("PUT", "/v1/notification-settings",
			`{"webhook_url":"https://hooks.example.com/x\r\nX-Evil: 1","webhook_secret":"0123456789abcdef"}`),
			status: 422, code: "invalid_settings"},
		{name: "overlong idempotency key", req: js("PATCH", user, `{"title":"k"}`),
			headers: []string{"Idempotency-Key", strings.Repeat("k", 256)}, status: 400, code: "malformed_request"},
		{name: "garbage If-Match", req: js("PATCH", user, `{"title":"k"}`),
			headers: []string{"If-Match", `"1", W/"2"; drop table`}, status: 400, code: "malformed_request"},
		{name: "a charset JSON cannot have", req: secRequest{method: "POST", path: "/v1/users", body: `{"email":"c@example.com"}`,
			contentType: "application/json; charset=iso-8859-1"}, status: 415, code: "unsupported_media_type"},
		{name: "CSV with a binary header", req: csvUpload("\x00\x01\x02\xff\xfe\n\x00\n"), status: 422, code: "invalid_import_file"},
		{name: "CSV with a column twice", req: csvUpload("email,EMAIL\na@example.com,b@example.com\n"), status: 422, code: "invalid_import_file"},
		{name: "empty CSV", req: csvUpload(""), status: 422, code: "invalid_import_file"},
		{name: "CSV mapping onto an unknown column", req: secRequest{method: "POST", path: "/v1/imports?map=password=Email",
			body: "Email\na@example.com\n", contentType: "text/csv"}, status: 422, code: "invalid_import_file"},
	}
	before := readTenantState(t, tn.id)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			headers := c.headers
			if c.req.contentType != "" {
				headers = append([]string{"Content-Type", c.req.contentType}, headers...)
			}
			got := s.call(c.req.method, c.req.path, tn.token[auth.RoleAdmin], c.req.body, headers...)
			got.want(t, c.status, c.code)
			if len(got.raw) > 4096 {
				t.Fatalf("the problem echoes the input (%d bytes)", len(got.raw))
			}
		})
	}
	if after := readTenantState(t, tn.id); after != before {
		t.Fatalf("hostile requests changed the tenant:\nbefore %+v\nafter  %+v", before, after)
	}
	// The correlation id is echoed only when it is short printable ASCII
	// (so no control character reaches a response header, log or Kafka
	// header); anything else is replaced by a fresh one.
	for _, bad := range []string{strings.Repeat("c", 129), "a\tb", "caf\xc3\xa9"} {
		got := s.call("GET", user, tn.token[auth.RoleReader], nil, "X-Correlation-ID", bad).want(t, 200, "")
		if echoed := got.header.Get("X-Correlation-ID"); echoed == bad || len(echoed) != 36 {
			t.Fatalf("X-Correlation-ID %q answered with %q", bad, echoed)
		}
	}
}

func csvUpload(body string) secRequest {
	return secRequest{method: "POST", path: "/v1/imports", body: body, contentType: "text/csv"}
}

// TestOversizedCSVIsRefusedAndQueuesNothing uploads a file over the import
// limit (a small limit here, in-process, so the test stays light: the default
// is 256 MiB): 413 body_too_large, and no job, row or user is left behind.
func TestOversizedCSVIsRefusedAndQueuesNothing(t *testing.T) {
	t.Parallel()
	pool := pgtest.Pool(t)
	// The security fixture's tenants point their webhook at loopback, as the
	// service's own component tests do with WEBHOOK_ALLOW_INTERNAL.
	application, err := service.Build(pool, service.Options{AllowInternalWebhooks: true})
	if err != nil {
		t.Fatal(err)
	}
	h, err := httpapi.NewHandler(application, httpapi.Config{MaxImportBytes: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	// The fixture's tenant gets a SCIM group too, so SCIM is mounted beside the admin API as in the api role.
	scimAPI, err := scim.NewHandler(application, scim.Config{})
	if err != nil {
		t.Fatal(err)
	}
	routes := http.NewServeMux()
	routes.Handle(scim.Prefix+"/", scimAPI)
	routes.Handle("/", h)
	srv := httptest.NewServer(routes)
	t.Cleanup(srv.Close)
	s := &svc{t: t, base: srv.URL}
	f := newSecFixture(t, s)
	tn := f.newSecTenant("bigcsv")
	before := readTenantState(t, tn.id)

	var file strings.Builder
	file.WriteString("external_id,email,given_name,family_name\n")
	for i := 0; file.Len() <= 64<<10; i++ {
		file.WriteString(f.unique("E") + "," + f.unique("big") + "@example.com,Big,File\n")
	}
	s.call("POST", "/v1/imports", tn.token[auth.RoleImporter], file.String(), "Content-Type", "text/csv").
		want(t, 413, "body_too_large")
	// One long field in an otherwise small file is over the limit too.
	s.call("POST", "/v1/imports", tn.token[auth.RoleImporter], "email,title\na@example.com,"+strings.Repeat("t", 70<<10)+"\n",
		"Content-Type", "text/csv").want(t, 413, "body_too_large")
	if after := readTenantState(t, tn.id); after != before {
		t.Fatalf("an oversized upload changed the tenant:\nbefore %+v\nafter  %+v", before, after)
	}
}
