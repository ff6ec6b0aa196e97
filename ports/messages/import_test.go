package messages_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/userservice/userservice/app/query"
	"github.com/userservice/userservice/domain/user"
)

const header = "external_id,email,given_name,family_name,display_name,department,title,manager_external_id,status\n"

// TestCSVImportCountsEveryOutcome imports a file with valid, unchanged,
// changed, invalid, malformed and duplicate rows, and a manager that comes
// later in the file, against the real database.
func TestCSVImportCountsEveryOutcome(t *testing.T) {
	t.Parallel()
	h := newHarness(t, 100, options{})
	h.startRouter(messagesConfig())
	same := h.register("same@example.com", "E1", "Sam", "Engineer")
	changed := h.register("changed@example.com", "E2", "Cha", "Engineer")
	byEmail := h.register("byemail@example.com", "", "Em", "")
	before := h.events()

	file := header +
		"E1,same@example.com,Sam,Test,,,Engineer,,\r\n" + // 2 rejected: row 7 has the same external id
		"E2,changed@example.com,Cha,Test,,,Director,,\r\n" + // 3 updated (title)
		"E3,new3@example.com,New,Three,,Sales,Rep,E5,\r\n" + // 4 created; manager E5 comes later
		"E4,not-an-email,Bad,Mail,,,,,\r\n" + // 5 rejected: invalid e-mail
		"E5,boss@example.com,Big,Boss,,Sales,Head,,\r\n" + // 6 created
		"E1,other@example.com,Dup,Row,,,,,\r\n" + // 7 rejected: row 2 has the same external id
		"E6,noname@example.com,N\x01,Nameless,,,,,\r\n" + // 8 rejected: control character in given_name
		"E7,BYEMAIL@example.com,Em,Test,,,,,\r\n" + // 9 updated: matched by e-mail, external id adopted
		"E8,short@example.com\r\n" + // 10 rejected: malformed
		"E9,leaver@example.com,Lea,Ver,,,,,deactivated\r\n" + // 11 created deactivated
		"E10,orphan@example.com,Or,Phan,,,,NOPE,\r\n" // 12 created without a manager, with a warning
	started := h.importCSV(file)
	if started.Total != 11 {
		t.Fatalf("queued %d rows, want 11", started.Total)
	}
	job := h.waitFinished(started.JobID)
	if got, want := countsOf(job), (counts{total: 11, created: 4, updated: 2, rejected: 5}); got != want {
		t.Fatalf("counts = %+v, want %+v", got, want)
	}
	if job.Status != "completed_with_errors" || job.Progress() != 1 || job.Source != "csv" {
		t.Fatalf("job = %+v", job)
	}
	dup := "rows 2, 7 (2 in all) have the same external id: none of them is imported"
	wantFailures := []query.ImportFailure{
		{Row: 2, Seq: 1, Field: "external_id", Code: "duplicate_row", Message: dup, Severity: "error", Value: "E1", ExternalID: "E1", Email: "same@example.com"},
		{Row: 5, Seq: 1, Field: "email", Code: "invalid_format", Message: "must be an e-mail address such as ada@example.com",
			Severity: "error", Value: "not-an-email", ExternalID: "E4", Email: "not-an-email"},
		{Row: 7, Seq: 1, Field: "external_id", Code: "duplicate_row", Message: dup, Severity: "error", Value: "E1", ExternalID: "E1", Email: "other@example.com"},
		{Row: 8, Seq: 1, Field: "given_name", Code: "invalid_characters", Message: "must not contain control characters",
			Severity: "error", Value: "N\x01", ExternalID: "E6", Email: "noname@example.com"},
		{Row: 10, Seq: 1, Field: "", Code: "malformed_row", Message: "has 2 fields where the header has 9", Severity: "error"},
		{Row: 12, Seq: 1, Field: "manager_external_id", Code: "manager_not_found", Message: `no user has the external id "NOPE"; imported without a manager`,
			Severity: "warning", Value: "NOPE", ExternalID: "E10", Email: "orphan@example.com"},
	}
	if got := h.failures(started.JobID); !reflect.DeepEqual(got, wantFailures) {
		t.Fatalf("failures:\n got %+v\nwant %+v", got, wantFailures)
	}

	// Rejected rows wrote nothing; the others wrote exactly their events.
	if u := h.userByExternalID("E1"); u.Version != same.Version {
		t.Errorf("the user of the rejected duplicates went from version %d to %d", same.Version, u.Version)
	}
	// E2 title, E3, E5 and E10 registered, E7 external id, E9 registered + deactivated.
	if got := h.events() - before; got != 7 {
		t.Errorf("the import wrote %d events, want 7", got)
	}
	if u := h.userByExternalID("E2"); u.Title != "Director" || u.ID != changed.ID || u.Version != 2 {
		t.Errorf("changed user = %+v", u)
	}
	if u := h.userByExternalID("E7"); u.ID != byEmail.ID {
		t.Errorf("row matched by e-mail made user %s, want %s", u.ID, byEmail.ID)
	}
	if rep, boss := h.userByExternalID("E3"), h.userByExternalID("E5"); rep.ManagerID != boss.ID.String() {
		t.Errorf("E3's manager = %q, want E5 (%s)", rep.ManagerID, boss.ID)
	}
	if u := h.userByExternalID("E9"); u.Status != user.StatusDeactivated {
		t.Errorf("E9 status = %s", u.Status)
	}

	// The same file again: every row that was applied is now unchanged.
	before = h.events()
	again := h.waitFinished(h.importCSV(file).JobID)
	if got, want := countsOf(again), (counts{total: 11, unchanged: 6, rejected: 5}); got != want {
		t.Fatalf("second import counts = %+v, want %+v", got, want)
	}
	if got := h.events() - before; got != 0 {
		t.Fatalf("the second import wrote %d events", got)
	}
}

func TestCleanFileTwiceIsOnlyUnchanged(t *testing.T) {
	t.Parallel()
	h := newHarness(t, 1000, options{})
	h.startRouter(messagesConfig())
	var b strings.Builder
	b.WriteString(header)
	// Managers come after their reports: row n reports to row n+1.
	for i := 1; i <= 50; i++ {
		mgr := ""
		if i < 50 {
			mgr = fmt.Sprintf("M%d", i+1)
		}
		fmt.Fprintf(&b, "M%d,m%d@example.com,Given%d,Family,,Dept,Title,%s,active\n", i, i, i, mgr)
	}
	first := h.waitFinished(h.importCSV(b.String()).JobID)
	if got, want := countsOf(first), (counts{total: 50, created: 50}); got != want || first.Status != "completed" {
		t.Fatalf("first import %+v (%s), want %+v", got, first.Status, want)
	}
	for i := 1; i < 50; i++ {
		if u, m := h.userByExternalID(fmt.Sprintf("M%d", i)), h.userByExternalID(fmt.Sprintf("M%d", i+1)); u.ManagerID != m.ID.String() {
			t.Fatalf("M%d's manager = %q, want M%d", i, u.ManagerID, i+1)
		}
	}
	before := h.events()
	second := h.waitFinished(h.importCSV(b.String()).JobID)
	if got, want := countsOf(second), (counts{total: 50, unchanged: 50}); got != want || second.Status != "completed" {
		t.Fatalf("second import %+v (%s), want %+v", got, second.Status, want)
	}
	if n := h.events() - before; n != 0 {
		t.Fatalf("second import wrote %d events", n)
	}
}
