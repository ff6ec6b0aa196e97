package messages_test

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/userservice/userservice/adapters/postgres"
	"github.com/userservice/userservice/app/auth"
	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/app/query"
	"github.com/userservice/userservice/ports/httpapi"
)

// TestImportOverHTTP uploads a CSV through the admin API, follows the job and
// downloads its failures as CSV, formula cells defused.
func TestImportOverHTTP(t *testing.T) {
	t.Parallel()
	h := newHarness(t, 10, options{})
	h.startRouter(messagesConfig())
	tenants := postgres.NewTenants(h.pool)
	var err error
	h.app.Queries.Authenticate, err = query.NewAuthenticateHandler(tenants, time.Now)
	must(t, err)
	issue, err := command.NewIssueTokenHandler(tenants, func() (string, error) { return newJobID(t), nil }, time.Now)
	must(t, err)
	tok, err := issue.Handle(h.ctx, command.IssueToken{TenantID: h.tenant, Role: auth.RoleImporter})
	must(t, err)
	api, err := httpapi.NewHandler(h.app, httpapi.Config{})
	must(t, err)
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	do := func(method, path, contentType, body string) *http.Response {
		t.Helper()
		req, err := http.NewRequestWithContext(h.ctx, method, srv.URL+path, strings.NewReader(body))
		must(t, err)
		req.Header.Set("Authorization", "Bearer "+tok.Plaintext)
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		resp, err := http.DefaultClient.Do(req)
		must(t, err)
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}

	resp := do(http.MethodPost, "/v1/imports?map=external_id=Personnel+No", "text/csv",
		"Personnel No,email,given_name,family_name\nP1,p1@example.com,Pat,One\nP2,=cmd|' /C calc'!A0,Pat,Two\n")
	var job struct {
		ID     string `json:"id"`
		Status string `json:"status"`
		Total  *int   `json:"total"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&job); err != nil || resp.StatusCode != http.StatusAccepted ||
		resp.Header.Get("Location") != "/v1/imports/"+job.ID || job.Total == nil || *job.Total != 2 {
		t.Fatalf("POST /v1/imports: %s %+v %v", resp.Status, job, err)
	}
	h.waitFinished(job.ID)
	resp = do(http.MethodGet, "/v1/imports/"+job.ID, "", "")
	var got map[string]any
	must(t, json.NewDecoder(resp.Body).Decode(&got))
	if got["status"] != "completed_with_errors" || got["created"] != 1.0 || got["rejected"] != 1.0 || got["progress"] != 1.0 {
		t.Fatalf("GET job: %v", got)
	}
	resp = do(http.MethodGet, "/v1/imports/"+job.ID+"/failures?format=csv", "", "")
	records, err := csv.NewReader(resp.Body).ReadAll()
	must(t, err)
	if resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" || len(records) != 2 ||
		strings.Join(records[1][:4], "|") != "3|email|invalid_format|must be an e-mail address such as ada@example.com" ||
		strings.Join(records[1][4:8], "|") != "error|'=cmd|' /C calc'!A0|P2|'=cmd|' /C calc'!A0" {
		t.Fatalf("failures CSV: %s %q", resp.Header.Get("Content-Type"), records)
	}
	resp = do(http.MethodPost, "/v1/imports", "text/csv", "nothing,useful\n1,2\n")
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("bad header: %s", resp.Status)
	}
	if resp := do(http.MethodGet, "/v1/imports/"+newJobID(t), "", ""); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown job: %s", resp.Status)
	}
}
