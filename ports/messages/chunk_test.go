package messages_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/userservice/userservice/app/command"
)

// chunkRows are rows 2.. of a job, one new user each.
func (h *harness) chunkRows(jobID string, n int) []command.ImportUserRow {
	rows := make([]command.ImportUserRow, n)
	for i := range rows {
		rows[i] = command.ImportUserRow{JobID: jobID, TenantID: h.tenant, Source: command.SourceCSV, ImportRow: command.ImportRow{
			Row: i + 2, Fields: map[string]string{"external_id": fmt.Sprintf("K%d", i), "email": fmt.Sprintf("k%d@example.com", i),
				"given_name": "Chunk", "family_name": fmt.Sprint(i)}}}
	}
	return rows
}

func (h *harness) newJob() string {
	h.t.Helper()
	id := newJobID(h.t)
	must(h.t, h.store.CreateImportJob(h.ctx, command.NewImportJob{ID: id, TenantID: h.tenant, Source: command.SourceCSV, Actor: "test"}))
	return id
}

func (h *harness) seatsUsed() int {
	h.t.Helper()
	var n int
	must(h.t, h.pool.QueryRow(h.ctx, `SELECT seats_used FROM tenants WHERE id = $1`, h.tenant).Scan(&n))
	return n
}

// TestChunkRefusesOneRowAndKeepsTheOthers: a row the domain refuses and a
// row whose e-mail is taken (a unique violation inside the chunk's
// transaction) are rejected on their own; the chunk's other rows commit,
// with their seats; applied again, the chunk changes nothing.
func TestChunkRefusesOneRowAndKeepsTheOthers(t *testing.T) {
	t.Parallel()
	h := newHarness(t, 10, options{})
	h.register("x3@example.com", "K3", "Old", "") // row 5 moves K3 to the address of:
	h.register("k3@example.com", "", "Taken", "")
	job := h.newJob()
	rows := h.chunkRows(job, 5)
	rows[1].Fields["email"] = "not an address"
	events, seats := h.events(), h.seatsUsed()

	res, err := h.app.Commands.ImportUserRows.Handle(h.ctx, command.ImportUserRows{Rows: rows})
	must(t, err)
	var got []string
	for _, r := range res.Applied {
		got = append(got, string(r.Outcome))
	}
	if want := "created,rejected,created,rejected,created"; strings.Join(got, ",") != want {
		t.Fatalf("outcomes %v, want %s", got, want)
	}
	if h.events() != events+3 || h.seatsUsed() != seats+3 {
		t.Fatalf("%d events and %d seats written, want 3 and 3", h.events()-events, h.seatsUsed()-seats)
	}
	codes := map[int]string{}
	for _, f := range h.failures(job) {
		codes[f.Row] = f.Code
	}
	if codes[3] == "" || codes[5] != "email_taken" {
		t.Fatalf("failures %v, want row 3 invalid and row 5 email_taken", codes)
	}

	again, err := h.app.Commands.ImportUserRows.Handle(h.ctx, command.ImportUserRows{Rows: rows})
	must(t, err)
	for _, r := range again.Applied {
		if !r.Duplicate {
			t.Fatalf("redelivered chunk applied a row again: %+v", again.Applied)
		}
	}
	if h.events() != events+3 || h.seatsUsed() != seats+3 {
		t.Fatal("the redelivered chunk wrote something")
	}
}

// TestSeatsRunOutMidChunk: a chunk with more new users than free seats
// creates as many as fit and rejects the rest (seats_exhausted), in row
// order, in one transaction; a deactivation earlier in the chunk frees a
// seat that a later row takes, as row-by-row application would.
func TestSeatsRunOutMidChunk(t *testing.T) {
	t.Parallel()
	h := newHarness(t, 3, options{})
	h.register("leaver@example.com", "L1", "Lea", "")
	job := h.newJob()
	rows := h.chunkRows(job, 5)
	rows[1].Fields = map[string]string{"external_id": "L1", "status": "deactivated"}
	res, err := h.app.Commands.ImportUserRows.Handle(h.ctx, command.ImportUserRows{Rows: rows})
	must(t, err)
	var got []string
	for _, r := range res.Applied {
		got = append(got, string(r.Outcome))
	}
	// 1 seat used, 3 in all: row 2 takes one, row 3 frees one, rows 4 and 5
	// take the last two, row 6 finds none.
	if want := "created,updated,created,created,rejected"; strings.Join(got, ",") != want {
		t.Fatalf("outcomes %v, want %s", got, want)
	}
	if h.seatsUsed() != 3 {
		t.Fatalf("seats used %d, want 3", h.seatsUsed())
	}
	for _, f := range h.failures(job) {
		if f.Row != 6 || f.Code != "seats_exhausted" {
			t.Fatalf("failure %+v, want row 6 seats_exhausted", f)
		}
	}
}

// TestChunkResolvesManagersWithinTheChunk: a row whose manager's row came
// earlier in the same chunk gets that user as its manager (the chunk's
// read-ahead does not hide the manager created in the chunk); a row whose
// manager's row is still to come leaves the chunk to wait.
func TestChunkResolvesManagersWithinTheChunk(t *testing.T) {
	t.Parallel()
	h := newHarness(t, 10, options{})
	job := h.newJob()
	rows := h.chunkRows(job, 3)
	rows[1].Fields["manager_external_id"], rows[1].ManagerRow = "K0", 2
	rows[2].Fields["manager_external_id"], rows[2].ManagerRow = "K9", 11
	res, err := h.app.Commands.ImportUserRows.Handle(h.ctx, command.ImportUserRows{Rows: rows})
	must(t, err)
	if len(res.Applied) != 2 || len(res.Deferred) != 1 || res.Deferred[0].Row.Row != 4 {
		t.Fatalf("applied %+v, deferred %+v; want rows 2 and 3 applied, row 4 deferred", res.Applied, res.Deferred)
	}
	manager, member := h.userByExternalID("K0"), h.userByExternalID("K1")
	if member.ManagerID != manager.ID.String() {
		t.Fatalf("K1's manager is %q, want K0 (%s)", member.ManagerID, manager.ID)
	}
}
