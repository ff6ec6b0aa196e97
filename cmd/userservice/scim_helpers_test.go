package main

import (
	"context"
	"encoding/json"
	"github.com/jackc/pgx/v5/pgxpool"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/userservice/userservice/adapters/postgres/pgtest"
	"github.com/userservice/userservice/app/auth"
	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/cmd/internal/service"
)

const (
	coreURN       = "urn:ietf:params:scim:schemas:core:2.0:User"
	enterpriseURN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	patchOpURN    = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
)

// scimTenant is a fresh tenant with a SCIM token and an admin token (to look
// at what SCIM did through the admin API).
type scimTenant struct {
	id, scim, admin string
}

func newSCIMTenant(t *testing.T, seats int) scimTenant {
	t.Helper()
	return newSCIMTenantOn(t, pgtest.Pool(t), seats)
}

// newSCIMTenantOn is newSCIMTenant on a test's own database.
func newSCIMTenantOn(t *testing.T, pool *pgxpool.Pool, seats int) scimTenant {
	t.Helper()
	tn := newTenantOn(t, pool, seats)
	application, err := service.BuildApplication(pool, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := application.Commands.IssueToken.Handle(context.Background(), command.IssueToken{TenantID: tn.id, Role: auth.RoleSCIM})
	if err != nil {
		t.Fatal(err)
	}
	return scimTenant{id: tn.id, scim: tok.Plaintext, admin: tn.admin}
}

// scimCall sends a SCIM request (application/scim+json) to /scim/v2+path.
func (s *svc) scimCall(method, path, token string, body any, headers ...string) scimResponse {
	s.t.Helper()
	if body != nil {
		headers = append([]string{"Content-Type", "application/scim+json"}, headers...) // a caller's own wins
	}
	r := s.call(method, "/scim/v2"+path, token, body, headers...)
	return scimResponse(r)
}

type scimResponse struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

// want fails unless the status matches; for errors it also checks the SCIM
// error format and, when given, the scimType.
func (r scimResponse) want(t *testing.T, status int, scimType string) scimResponse {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.raw)
	}
	if status >= 400 {
		schemas, _ := r.body["schemas"].([]any)
		if len(schemas) != 1 || schemas[0] != "urn:ietf:params:scim:api:messages:2.0:Error" ||
			r.body["status"] != strconv.Itoa(status) || r.body["detail"] == "" {
			t.Fatalf("not a SCIM error: %s", r.raw)
		}
		if got, _ := r.body["scimType"].(string); got != scimType {
			t.Fatalf("scimType %q, want %q: %s", got, scimType, r.raw)
		}
	}
	if r.raw != "" && !strings.HasPrefix(r.header.Get("Content-Type"), "application/scim+json") {
		t.Fatalf("Content-Type %q", r.header.Get("Content-Type"))
	}
	return r
}

// get reads a value by a path of "|"-separated names ("meta|version",
// "name|givenName"; URNs contain dots); a list element by its index ("emails|0|value").
func (r scimResponse) get(path string) any {
	var v any = r.body
	for _, part := range strings.Split(path, "|") {
		switch c := v.(type) {
		case map[string]any:
			v = c[part]
		case []any:
			i := 0
			_ = json.Unmarshal([]byte(part), &i)
			if i >= len(c) {
				return nil
			}
			v = c[i]
		default:
			return nil
		}
	}
	return v
}

func (r scimResponse) str(path string) string { s, _ := r.get(path).(string); return s }

// userNames lists the userName of every resource of a list response, sorted.
func (r scimResponse) userNames() []string {
	var names []string
	for _, res := range r.body["Resources"].([]any) {
		names = append(names, res.(map[string]any)["userName"].(string))
	}
	sort.Strings(names)
	return names
}

// eventTypesAndSources reads a user's history through the admin API.
func (s *svc) eventTypesAndSources(t *testing.T, admin, id string) (types, sources []string) {
	t.Helper()
	events := s.call("GET", "/v1/users/"+id+"/events", admin, nil).want(t, 200, "")
	for _, e := range events.body["events"].([]any) {
		m := e.(map[string]any)
		types = append(types, m["type"].(string))
		src, _ := m["source"].(string)
		sources = append(sources, src)
	}
	return types, sources
}

func scimUser(userName, given, family string, extra map[string]any) map[string]any {
	u := map[string]any{"schemas": []any{coreURN, enterpriseURN}, "userName": userName,
		"name": map[string]any{"givenName": given, "familyName": family}}
	for k, v := range extra {
		u[k] = v
	}
	return u
}

func patchOp(ops ...map[string]any) map[string]any {
	list := make([]any, len(ops))
	for i, op := range ops {
		list[i] = op
	}
	return map[string]any{"schemas": []any{patchOpURN}, "Operations": list}
}
