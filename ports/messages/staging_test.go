package messages_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/userservice/userservice/adapters/csvimport"
	"github.com/userservice/userservice/adapters/postgres"
	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/ports/messages"
)

// captureQueue keeps queued rows instead of publishing them.
type captureQueue struct{ rows []command.ImportUserRow }

func (q *captureQueue) Enqueue(_ context.Context, rows []command.ImportUserRow) error {
	q.rows = append(q.rows, rows...)
	return nil
}

func (h *harness) stageCSV(csv string) (*captureQueue, command.StartedImport) {
	h.t.Helper()
	format, err := csvimport.NewFormat(csvimport.Config{})
	must(h.t, err)
	q := &captureQueue{}
	start, err := command.NewStartImportHandler(format, h.store, postgres.NewImportStaging(h.pool), q,
		func() (string, error) { return uuid.NewString(), nil })
	must(h.t, err)
	started, err := start.Handle(h.ctx, command.StartImport{TenantID: h.tenant, Actor: "test", Body: strings.NewReader(csv)})
	must(h.t, err)
	return q, started
}

// TestManagersLastFileIsQueuedManagersFirst: a file whose every manager
// comes after their reports (a 300-deep reporting line, and a second line
// branching off it) is queued with each manager's row before its reports',
// so its chunks apply without waiting; the staging rows are gone after.
func TestManagersLastFileIsQueuedManagersFirst(t *testing.T) {
	t.Parallel()
	h := newHarness(t, 1000, options{})
	var b strings.Builder
	b.WriteString(header)
	for i := 1; i <= 300; i++ {
		mgr := ""
		if i < 300 {
			mgr = fmt.Sprintf("L%d", i+1)
		}
		fmt.Fprintf(&b, "L%d,l%d@example.com,Given%d,Family,,,,%s,\n", i, i, i, mgr)
	}
	for i := 1; i <= 50; i++ {
		fmt.Fprintf(&b, "B%d,b%d@example.com,Given%d,Family,,,,L%d,\n", i, i, i, 300-i)
	}
	q, started := h.stageCSV(b.String())
	if started.Total != 350 || len(q.rows) != 350 {
		t.Fatalf("total %d, queued %d; want 350", started.Total, len(q.rows))
	}
	seen := map[int]bool{}
	for _, r := range q.rows {
		if r.ManagerRow != 0 && !seen[r.ManagerRow] {
			t.Fatalf("row %d queued before its manager's row %d", r.Row, r.ManagerRow)
		}
		seen[r.Row] = true
	}
	var staged int
	must(t, h.pool.QueryRow(h.ctx, `SELECT count(*) FROM import_staging WHERE job_id = $1`, started.JobID).Scan(&staged))
	if staged != 0 {
		t.Fatalf("%d staged rows left", staged)
	}
	// Applied chunk by chunk in that order, no row waits.
	for len(q.rows) > 0 {
		n := min(len(q.rows), messages.ChunkRows)
		res, err := h.app.Commands.ImportUserRows.Handle(h.ctx, command.ImportUserRows{Rows: q.rows[:n]})
		must(t, err)
		if len(res.Deferred) > 0 {
			t.Fatalf("%d rows waited", len(res.Deferred))
		}
		q.rows = q.rows[n:]
	}
	if got := countsOf(h.waitFinished(started.JobID)); got != (counts{total: 350, created: 350}) {
		t.Fatalf("counts %+v", got)
	}
	if u, m := h.userByExternalID("L1"), h.userByExternalID("L2"); u.ManagerID != m.ID.String() {
		t.Fatalf("L1's manager %q, want L2 %s", u.ManagerID, m.ID)
	}
}

// TestManagerLoopCostsBoundedText: every row of a 20,000-row loop of
// managers is refused, each with a message of bounded size naming the
// loop's length and first rows (not the whole loop: a message per row
// listing every row was quadratic in the loop).
func TestManagerLoopCostsBoundedText(t *testing.T) {
	t.Parallel()
	h := newHarness(t, 10, options{})
	const n = 20000
	var b strings.Builder
	b.WriteString("external_id,email,given_name,family_name,manager_external_id\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "X%d,x%d@example.com,G,F,X%d\n", i, i, i%n+1)
	}
	q, _ := h.stageCSV(b.String())
	if len(q.rows) != n {
		t.Fatalf("queued %d rows", len(q.rows))
	}
	longest, total := 0, 0
	for _, r := range q.rows {
		if len(r.Rejection) != 1 || r.Rejection[0].Code != "manager_cycle" {
			t.Fatalf("row %d: %+v, want manager_cycle", r.Row, r.Rejection)
		}
		longest, total = max(longest, len(r.Rejection[0].Message)), total+len(r.Rejection[0].Message)
	}
	want := "row 2 is on a loop of 20000 rows that name each other as managers (the first: rows [2 3 4 5 6], ...)"
	if q.rows[0].Rejection[0].Message != want || longest > 120 || total > 120*n {
		t.Fatalf("first message %q, longest %d bytes, %d in all", q.rows[0].Rejection[0].Message, longest, total)
	}
}
