package messages_test

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"

	"github.com/userservice/userservice/adapters/eventcontract"
	"github.com/userservice/userservice/adapters/postgres"
	"github.com/userservice/userservice/app/auth"
	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/app/query"
	"github.com/userservice/userservice/ports/httpapi"
)

// apiClient calls the admin API of a harness as an importer.
type apiClient func(method, path, contentType string, body []byte) (*http.Response, []byte)

func newAPIClient(t *testing.T, h *harness) apiClient {
	t.Helper()
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
	return func(method, path, contentType string, body []byte) (*http.Response, []byte) {
		t.Helper()
		req, err := http.NewRequestWithContext(h.ctx, method, srv.URL+path, strings.NewReader(string(body)))
		must(t, err)
		req.Header.Set("Authorization", "Bearer "+tok.Plaintext)
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		resp, err := http.DefaultClient.Do(req)
		must(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		must(t, err)
		return resp, b
	}
}

func urlEscape(s string) string { return url.QueryEscape(s) }

// TestHRExportOverHTTP uploads what a spreadsheet program saves as "CSV"
// on Windows (Windows-1252, semicolons, a blank line, no e-mail column,
// Active/Inactive) as a Windows browser sends it, with a derived e-mail
// and a value map; and a UTF-16 file; and a header that cannot create
// users, refused up front with what was read and what would help.
func TestHRExportOverHTTP(t *testing.T) {
	t.Parallel()
	h := newHarness(t, 50, options{})
	h.startRouter(messagesConfig())
	call := newAPIClient(t, h)
	u := uuid.NewString()[:8]
	file := "Worker ID;First Name;Last Name;Status\r\n" +
		"W1-" + u + ";Zoë;Müller;Active\r\n" +
		"\r\n" +
		"W2-" + u + ";José;Ørsted;Inactive\r\n" +
		"W3-" + u + ";Ann;Lee;on leave\r\n"
	cp1252, err := charmap.Windows1252.NewEncoder().String(file)
	must(t, err)
	q := "/v1/imports?map=external_id=Worker+ID&map=given_name=First+Name&map=family_name=Last+Name" +
		"&derive=" + urlEscape("email={Worker ID}@corp.example") + "&map_value=" + urlEscape("status:on leave=active")
	resp, body := call(http.MethodPost, q, "application/vnd.ms-excel", []byte(cp1252))
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("upload: %s %s", resp.Status, body)
	}
	var job struct{ ID string }
	must(t, json.Unmarshal(body, &job))
	j := h.waitFinished(job.ID)
	if j.Created != 3 || j.Rejected != 0 {
		t.Fatalf("job: %+v %v", j, h.failures(job.ID))
	}
	w1, w2 := h.userByExternalID("W1-"+u), h.userByExternalID("W2-"+u)
	if w1.GivenName != "Zoë" || w1.FamilyName != "Müller" || w1.Email != strings.ToLower("W1-"+u)+"@corp.example" ||
		w2.FamilyName != "Ørsted" || w2.Status != "deactivated" || h.userByExternalID("W3-"+u).Status != "active" {
		t.Fatalf("users: %+v %+v", w1.Snapshot, w2.Snapshot)
	}

	// UTF-16 with a BOM, tabs, a named charset; a bad row after a blank
	// line is numbered as the spreadsheet shows it.
	utf16, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().String(
		"external_id\temail\tgiven_name\r\nT1-" + u + "\tt1-" + u + "@example.com\tTí\r\n\r\nT2-" + u + "\tnot-an-address\tX\r\n")
	must(t, err)
	resp, body = call(http.MethodPost, "/v1/imports", "text/csv; charset=utf-16", []byte(utf16))
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("UTF-16 upload: %s %s", resp.Status, body)
	}
	must(t, json.Unmarshal(body, &job))
	if j := h.waitFinished(job.ID); j.Created != 1 || j.Rejected != 1 {
		t.Fatalf("UTF-16 job: %+v", j)
	}
	if f := h.failures(job.ID); len(f) == 0 || f[0].Row != 4 || f[0].Field != "email" {
		t.Fatalf("UTF-16 failures: %+v", f)
	}
	if resp, body := call(http.MethodPost, "/v1/imports", "text/csv; charset=ebcdic", []byte("email\n")); resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Fatalf("unknown charset: %s %s", resp.Status, body)
	}
	if resp, body := call(http.MethodPost, "/v1/imports", "application/pdf", []byte("email\n")); resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Fatalf("pdf: %s %s", resp.Status, body)
	}

	// Nothing can create users: refused once, with everything at once.
	resp, body = call(http.MethodPost, "/v1/imports", "text/csv", []byte("Worker ID,First Name,Work Email\nW9,A,a@x.example\n"))
	var p struct {
		Code        string   `json:"code"`
		Header      []string `json:"header"`
		Unmatched   []string `json:"unmatched"`
		Suggestions []string `json:"suggestions"`
	}
	must(t, json.Unmarshal(body, &p))
	if resp.StatusCode != http.StatusUnprocessableEntity || resp.Header.Get("Content-Type") != "application/problem+json" ||
		p.Code != "invalid_import_file" || strings.Join(p.Header, "|") != "Worker ID|First Name|Work Email" ||
		strings.Join(p.Unmatched, "|") != "First Name|Work Email|Worker ID" ||
		strings.Join(p.Suggestions, " ") != `--map email="Work Email" --map external_id="Worker ID" --map given_name="First Name"` {
		t.Fatalf("mapping problem: %s %s", resp.Status, body)
	}
}

// TestManagersOutsideTheFileChainsAndDuplicates: under the default policy
// a manager outside the file (or whose row was refused) leaves the row
// imported without one and a warning; under reject the chain of refusals
// names its root row and reason; a row lists every problem; every row of a
// duplicate group is listed.
func TestManagersOutsideTheFileChainsAndDuplicates(t *testing.T) {
	t.Parallel()
	h := newHarness(t, 100, options{})
	h.startRouter(messagesConfig())
	call := newAPIClient(t, h)
	file := func(u string) string {
		return header +
			"R1" + u + ",bad-address,Root,One,,,,,\n" + // 2 rejected: invalid e-mail (the root)
			"R2" + u + ",r2" + u + "@example.com,Two,,,,,R1" + u + ",\n" + // 3 manager's row refused
			"R3" + u + ",r3" + u + "@example.com,Three,,,,,OUT" + u + ",\n" + // 4 manager outside the file
			"R4" + u + ",also-bad,Four,,,,,OUT" + u + ",\n" + // 5 two problems
			"R5" + u + ",r5" + u + "@example.com,Five,,,,,R2" + u + ",Inactive\n" + // 6 chain of two
			"D1" + u + ",d1" + u + "@example.com,Dup,A,,,,,\n" + // 7 group
			"D1" + u + ",d2" + u + "@example.com,Dup,B,,,,,\n" + // 8 group
			"D1" + u + ",d3" + u + "@example.com,Dup,C,,,,,\n" // 9 group
	}
	u := uuid.NewString()[:8]
	resp, body := call(http.MethodPost, "/v1/imports", "text/csv", []byte(file(u)))
	var job struct{ ID string }
	must(t, json.Unmarshal(body, &job))
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("upload: %s %s", resp.Status, body)
	}
	j := h.waitFinished(job.ID)
	if j.Created != 3 || j.Rejected != 5 || j.Warnings != 3 || j.FailureCodes["duplicate_row"] != 3 ||
		j.FailureCodes["invalid_format"] != 2 || j.WarningCodes["manager_not_found"] != 2 || j.WarningCodes["manager_not_imported"] != 1 {
		t.Fatalf("ignore: job %+v", j)
	}
	if h.userByExternalID("R5"+u).Status != "deactivated" || h.userByExternalID("R2"+u).ManagerID != "" {
		t.Fatal("R5 not deactivated (Inactive is a synonym) or R2 has a manager")
	}
	got := map[int][]string{}
	for _, f := range h.failures(job.ID) {
		got[f.Row] = append(got[f.Row], f.Severity+" "+f.Code+" "+f.Value)
		if f.Row == 3 && (f.RootRow != 2 || f.RootCode != "invalid_format") {
			t.Errorf("row 3 root: %+v", f)
		}
		if f.Row == 8 && f.Message != "rows 7, 8, 9 (3 in all) have the same external id: none of them is imported" {
			t.Errorf("duplicate message: %q", f.Message)
		}
	}
	want := map[int][]string{
		2: {"error invalid_format bad-address"},
		3: {"warning manager_not_imported R1" + u},
		4: {"warning manager_not_found OUT" + u},
		5: {"error invalid_format also-bad", "warning manager_not_found OUT" + u},
		7: {"error duplicate_row D1" + u}, 8: {"error duplicate_row D1" + u}, 9: {"error duplicate_row D1" + u},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ignore: failures\n got %v\nwant %v", got, want)
	}
	_, body = call(http.MethodGet, "/v1/imports/"+job.ID, "", nil)
	var res struct {
		State        string         `json:"state"`
		Warnings     int            `json:"warnings"`
		FailureCodes map[string]int `json:"failure_codes"`
	}
	must(t, json.Unmarshal(body, &res))
	if res.State != "done" || res.Warnings != 3 || res.FailureCodes["duplicate_row"] != 3 {
		t.Fatalf("job resource: %s", body)
	}

	// Under reject, the chain of refusals names its root.
	u = uuid.NewString()[:8]
	resp, body = call(http.MethodPost, "/v1/imports?missing_manager=reject", "text/csv", []byte(file(u)))
	must(t, json.Unmarshal(body, &job))
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("upload: %s %s", resp.Status, body)
	}
	j = h.waitFinished(job.ID)
	if j.Created != 0 || j.Rejected != 8 || j.Warnings != 0 {
		t.Fatalf("reject: job %+v", j)
	}
	for _, f := range h.failures(job.ID) {
		if f.Row == 6 && (f.Code != "manager_not_imported" || f.RootRow != 2 || f.RootCode != "invalid_format" ||
			!strings.HasPrefix(f.Message, "the manager's row 3 was not imported")) {
			t.Errorf("row 6: %+v", f)
		}
	}
	resp, body = call(http.MethodGet, "/v1/imports/"+job.ID+"/failures?format=csv", "", nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "6,manager_external_id,manager_not_imported,") ||
		!strings.Contains(string(body), ",2,must be an e-mail address such as ada@example.com (invalid_format)") {
		t.Fatalf("failures CSV: %s", body)
	}
}

// writes counts what an import writes for the harness's tenant: events,
// outbox messages, users, command records, seats taken, import jobs.
func (h *harness) writes() string {
	h.t.Helper()
	var events, outbox, users, commands, seats, jobs int
	must(h.t, h.pool.QueryRow(h.ctx, `SELECT
		(SELECT count(*) FROM events WHERE tenant_id = $1),
		(SELECT count(*) FROM watermill_user_events_0 WHERE metadata->>'`+eventcontract.MetaTenantID+`' = $1::text) +
		(SELECT count(*) FROM watermill_user_events_1 WHERE metadata->>'`+eventcontract.MetaTenantID+`' = $1::text) +
		(SELECT count(*) FROM watermill_user_events_2 WHERE metadata->>'`+eventcontract.MetaTenantID+`' = $1::text) +
		(SELECT count(*) FROM watermill_user_events_3 WHERE metadata->>'`+eventcontract.MetaTenantID+`' = $1::text),
		(SELECT count(*) FROM users WHERE tenant_id = $1),
		(SELECT count(*) FROM commands WHERE tenant_id = $1),
		(SELECT seats_used FROM tenants WHERE id = $1),
		(SELECT count(*) FROM import_jobs WHERE tenant_id = $1)`, h.tenant).
		Scan(&events, &outbox, &users, &commands, &seats, &jobs))
	return fmt.Sprintf("events %d, outbox %d, users %d, commands %d, seats %d, jobs %d", events, outbox, users, commands, seats, jobs)
}

// TestDryRunWritesNothing: a dry run over HTTP reports exactly what the
// import of the same file then does, and writes nothing.
func TestDryRunWritesNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t, 100, options{})
	h.startRouter(messagesConfig())
	call := newAPIClient(t, h)
	h.register("known@example.com", "K1", "Known", "Old title")
	u := uuid.NewString()[:8]
	file := header +
		"K1,known@example.com,Known,Test,,,New title,,\n" + // 2 updated
		"N1" + u + ",n1" + u + "@example.com,New,One,,,,N2" + u + ",\n" + // 3 created; manager later
		"N2" + u + ",n2" + u + "@example.com,New,Two,,,,OUT,Terminated\n" + // 4 created, warning
		"N3" + u + ",bad,New,Three,,,,,\n" + // 5 rejected
		"N4" + u + ",n4" + u + "@example.com,Dup,A,,,,,\n" + // 6 duplicate group
		"N4" + u + ",n5" + u + "@example.com,Dup,B,,,,,\n" // 7 duplicate group
	before := h.writes()
	resp, body := call(http.MethodPost, "/v1/imports?dry_run=true", "text/csv", []byte(file))
	var dry struct {
		DryRun                                                 bool `json:"dry_run"`
		Total, Created, Updated, Unchanged, Rejected, Warnings int
		FailureCodes                                           map[string]int `json:"failure_codes"`
		Failures                                               []struct{ Row int }
	}
	must(t, json.Unmarshal(body, &dry))
	if resp.StatusCode != http.StatusOK || !dry.DryRun || dry.Total != 6 || dry.Created != 2 || dry.Updated != 1 ||
		dry.Rejected != 3 || dry.Warnings != 1 || dry.FailureCodes["duplicate_row"] != 2 || len(dry.Failures) != 4 {
		t.Fatalf("dry run: %s %s", resp.Status, body)
	}
	if after := h.writes(); after != before {
		t.Fatalf("the dry run wrote: before %s, after %s", before, after)
	}
	_, body = call(http.MethodPost, "/v1/imports", "text/csv", []byte(file))
	var job struct{ ID string }
	must(t, json.Unmarshal(body, &job))
	j := h.waitFinished(job.ID)
	if j.Created != dry.Created || j.Updated != dry.Updated || j.Rejected != dry.Rejected || j.Warnings != dry.Warnings {
		t.Fatalf("the import did otherwise than the dry run said: %+v", j)
	}
}

// TestRejectedRowsComeBackAsTheyWere: with keep_rows the failure report
// gives the rejected rows back as in the file (its header and every cell,
// columns the import ignores too) with an error column; the queued
// messages do not carry them.
func TestRejectedRowsComeBackAsTheyWere(t *testing.T) {
	t.Parallel()
	h := newHarness(t, 100, options{})
	h.startRouter(messagesConfig())
	call := newAPIClient(t, h)
	u := uuid.NewString()[:8]
	file := "Worker ID;Work Email;Cost Centre;Manager\r\n" +
		"A" + u + ";a" + u + "@example.com;CC 1;\r\n" + // 2 created
		"B" + u + "; not an address ;CC 2;OUT\r\n" + // 3 rejected (and a warning)
		"C" + u + ";c" + u + "@example.com;CC 3;\r\n" + // 4 duplicate
		"C" + u + ";d" + u + "@example.com;CC 4;\r\n" // 5 duplicate
	resp, body := call(http.MethodPost, "/v1/imports?keep_rows=true&map=external_id=Worker+ID&map=email=Work+Email&map=manager_external_id=Manager",
		"text/csv", []byte(file))
	var job struct{ ID string }
	must(t, json.Unmarshal(body, &job))
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("upload: %s %s", resp.Status, body)
	}
	if j := h.waitFinished(job.ID); j.Created != 1 || j.Rejected != 3 {
		t.Fatalf("job: %+v", j)
	}
	var raw int
	must(t, h.pool.QueryRow(h.ctx, `SELECT count(*) FROM watermill_imports WHERE metadata->>'job_id' = $1 AND payload::text LIKE '%"raw"%'`, job.ID).Scan(&raw))
	if raw != 0 {
		t.Fatalf("%d queued messages carry the original rows", raw)
	}
	resp, body = call(http.MethodGet, "/v1/imports/"+job.ID+"/failures?format=csv&rows=original", "", nil)
	dup := "external_id: rows 4, 5 (2 in all) have the same external id: none of them is imported (duplicate_row)"
	want := [][]string{{"Worker ID", "Work Email", "Cost Centre", "Manager", "error"},
		{"B" + u, " not an address ", "CC 2", "OUT", "email: must be an e-mail address such as ada@example.com (invalid_format)"},
		{"C" + u, "c" + u + "@example.com", "CC 3", "", dup},
		{"C" + u, "d" + u + "@example.com", "CC 4", "", dup}}
	got, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
	if resp.StatusCode != http.StatusOK || err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("original rows: %s %v\n%q\nwant\n%q", resp.Status, err, got, want)
	}
	// A job that did not keep its rows says so.
	resp, body = call(http.MethodGet, "/v1/imports/"+job.ID+"/failures?format=csv&rows=original", "", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("again: %s %s", resp.Status, body)
	}
	_, body = call(http.MethodPost, "/v1/imports", "text/csv", []byte("email\nx"+u+"@example.com\n"))
	must(t, json.Unmarshal(body, &job))
	h.waitFinished(job.ID)
	if resp, body = call(http.MethodGet, "/v1/imports/"+job.ID+"/failures?format=csv&rows=original", "", nil); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("a job without its rows: %s %s", resp.Status, body)
	}
}
