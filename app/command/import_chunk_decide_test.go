package command

import (
	"crypto/rand"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/userservice/userservice/domain/user"
)

func newTestID() (user.ID, error) {
	var id user.ID
	_, err := rand.Read(id[:])
	return id, err
}

// decideRows decides rows of one chunk on an empty tenant (no database):
// the outcome and failures of each row, as text.
func decideRows(t *testing.T, policy MissingManagerPolicy, rows ...ImportRow) map[int]string {
	t.Helper()
	var in []ImportUserRow
	for _, r := range rows {
		in = append(in, ImportUserRow{JobID: "job", TenantID: "t", Source: SourceCSV, ImportRow: r, MissingManager: policy})
	}
	plan, err := DecideChunk(ChunkView{Outcomes: map[int]Outcome{}, SeatLimit: 100, Now: time.Now()}, in, ImportUserRowConfig{}, newTestID)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int]string{}
	for _, p := range plan.Rows {
		s := string(p.Outcome.Outcome)
		for _, f := range p.Outcome.Failures {
			s += fmt.Sprintf(" [%s %s %s root %d]", f.Severity, f.Code, f.Value, f.RootRow)
		}
		out[p.Outcome.Row] = s
	}
	for _, d := range plan.Deferred {
		out[d.Row.Row] = "deferred"
	}
	return out
}

func TestDecideListsEveryProblemAndFollowsThePolicy(t *testing.T) {
	t.Parallel()
	row := func(n int, ext, email, manager string, managerRow int, status string) ImportRow {
		return ImportRow{Row: n, ManagerRow: managerRow, Fields: map[string]string{ColExternalID: ext, ColEmail: email,
			ColManagerExternalID: manager, ColStatus: status}}
	}
	rows := []ImportRow{
		row(2, "R1", "bad", "", 0, ""),
		row(3, "R2", "r2@x.example", "R1", 2, ""),
		row(4, "R3", "r3@x.example", "OUT", 0, "Inactive"),
		row(5, "R4", "also-bad", "OUT", 0, ""),
		row(6, "R5", "r5@x.example", "R2", 3, "Inactive"),
	}
	got := decideRows(t, "", rows...)
	want := map[int]string{
		2: "rejected [error invalid_format bad root 0]",
		3: "created [warning manager_not_imported R1 root 2]",
		4: "created [warning manager_not_found OUT root 0]",
		5: "rejected [error invalid_format also-bad root 0] [warning manager_not_found OUT root 0]",
		6: "created",
	}
	for n, w := range want {
		if got[n] != w {
			t.Errorf("ignore, row %d: %q, want %q", n, got[n], w)
		}
	}
	got = decideRows(t, MissingManagerReject, rows...)
	want = map[int]string{
		2: "rejected [error invalid_format bad root 0]",
		3: "rejected [error manager_not_imported R1 root 2]",
		4: "rejected [error manager_not_found OUT root 0]",
		5: "rejected [error invalid_format also-bad root 0] [error manager_not_found OUT root 0]",
		6: "rejected [error manager_not_imported R2 root 2]",
	}
	for n, w := range want {
		if got[n] != w {
			t.Errorf("reject, row %d: %q, want %q", n, got[n], w)
		}
	}
	if s := importStatus(" TERMINATED "); s != user.StatusDeactivated || importStatus("On Leave") != "On Leave" || !strings.EqualFold(string(importStatus("1")), "active") {
		t.Error("status synonyms")
	}
}
