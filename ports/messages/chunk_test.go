package messages_test

import (
	"errors"
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

// TestChunkOverTheSeatLimitIsAppliedRowByRow: a chunk whose new users do not
// all fit keeps nothing (ErrBatchSeats); the router then applies its rows
// one by one, and exactly the seats there are get used.
func TestChunkOverTheSeatLimitIsAppliedRowByRow(t *testing.T) {
	t.Parallel()
	h := newHarness(t, 3, options{})
	job := h.newJob()
	rows := h.chunkRows(job, 5)
	if _, err := h.app.Commands.ImportUserRows.Handle(h.ctx, command.ImportUserRows{Rows: rows}); !errors.Is(err, command.ErrBatchSeats) {
		t.Fatalf("err = %v, want ErrBatchSeats", err)
	}
	if h.events() != 0 || h.seatsUsed() != 0 {
		t.Fatal("the refused chunk kept something")
	}

	h.startRouter(messagesConfig())
	started := h.importCSV(header + "S1,s1@example.com,Se,One,,,,,\nS2,s2@example.com,Se,Two,,,,,\nS3,s3@example.com,Se,Three,,,,,\n" +
		"S4,s4@example.com,Se,Four,,,,,\nS5,s5@example.com,Se,Five,,,,,\n")
	got := countsOf(h.waitFinished(started.JobID))
	if got != (counts{total: 5, created: 3, rejected: 2}) || h.seatsUsed() != 3 {
		t.Fatalf("counts %+v, seats %d; want 3 created, 2 rejected, 3 seats", got, h.seatsUsed())
	}
	for _, f := range h.failures(started.JobID) {
		if f.Code != "seats_exhausted" {
			t.Fatalf("failure %+v, want seats_exhausted", f)
		}
	}
}

// TestChunkIsAllOrNothing: a failure after some rows of a chunk committed
// their commands (here: recording a row's outcome fails) rolls back the
// whole chunk, commands included, so no row is ever applied without its
// outcome; delivered again, the chunk applies every row once.
func TestChunkIsAllOrNothing(t *testing.T) {
	t.Parallel()
	rows := &failingRows{failed: map[int]bool{}}
	h := newHarness(t, 10, options{rows: func(s command.ImportRowStore) command.ImportRowStore { rows.ImportRowStore = s; return rows }})
	job := h.newJob()
	in := h.chunkRows(job, 3)
	rows.failed[2] = true // row 2 records fine; row 3 fails once, after row 2 and its own command
	if _, err := h.app.Commands.ImportUserRows.Handle(h.ctx, command.ImportUserRows{Rows: in}); err == nil {
		t.Fatal("the injected failure did not happen")
	}
	if h.events() != 0 || h.seatsUsed() != 0 {
		t.Fatalf("the failed chunk kept %d events, %d seats", h.events(), h.seatsUsed())
	}
	rows.failed[4] = true
	res, err := h.app.Commands.ImportUserRows.Handle(h.ctx, command.ImportUserRows{Rows: in})
	must(t, err)
	if len(res.Applied) != 3 || h.events() != 3 || h.seatsUsed() != 3 {
		t.Fatalf("applied %+v, %d events, %d seats; want 3 rows created once", res.Applied, h.events(), h.seatsUsed())
	}
	must(t, h.store.SealImportJob(h.ctx, job, 3))
	if got := countsOf(h.waitFinished(job)); got != (counts{total: 3, created: 3}) {
		t.Fatalf("counts %+v", got)
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
