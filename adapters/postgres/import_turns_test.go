package postgres

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

// TestImportTurnsAreOneAtATimeAcrossProcesses: two ImportTurns of the same
// prefix (two processes) hold the turn one at a time: the second waits
// until the first releases it, and gives up when its context ends; a turn
// whose connection dies (a process killed mid-chunk) frees the turn with
// its session, and the next Take of that process reconnects. Another
// prefix (another deployment) never waits for them. Waiting for a turn is
// not the API's work. Prefixes of the test's own keep other tests out.
func TestImportTurnsAreOneAtATimeAcrossProcesses(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 10)
	prefix := "t" + strings.ReplaceAll(uuid.NewString(), "-", "")[:12]
	newTurns := func(prefix string) *ImportTurns {
		t.Helper()
		turns, err := NewImportTurns(f.pool, prefix)
		must(t, err)
		t.Cleanup(turns.Close)
		return turns
	}
	a, b, other := newTurns(prefix), newTurns(prefix), newTurns(prefix+"x")

	releaseA, err := a.Take(f.ctx)
	must(t, err)
	ctx, cancel := context.WithTimeout(f.ctx, 300*time.Millisecond)
	_, err = b.Take(ctx)
	cancel()
	if err == nil {
		t.Fatal("a second process took the turn while the first held it")
	}
	releaseOther, err := other.Take(f.ctx)
	must(t, err)
	releaseOther()

	// The second waits, and is not counted as the API's work meanwhile.
	activity, err := NewAPIActivity(f.pool, prefix)
	must(t, err)
	took := make(chan func(), 1)
	go func() {
		release, err := b.Take(f.ctx)
		if err != nil {
			t.Error(err)
			release = func() {}
		}
		took <- release
	}()
	select {
	case <-took:
		t.Fatal("the second process took the turn while the first held it")
	case <-time.After(200 * time.Millisecond):
	}
	if n, err := activity.InFlight(f.ctx); err != nil || n != 0 {
		t.Fatalf("a wait for the import's turn counted as %d API requests (%v)", n, err)
	}
	releaseA()
	releaseA() // twice is harmless
	var releaseB func()
	select {
	case releaseB = <-took:
	case <-time.After(10 * time.Second):
		t.Fatal("the second process did not get the turn once the first released it")
	}

	// The holder's session dies: its turn goes with it.
	var pid int
	must(t, b.conn.QueryRow(f.ctx, `SELECT pg_backend_pid()`).Scan(&pid))
	if _, err := f.pool.Exec(f.ctx, `SELECT pg_terminate_backend($1)`, pid); err != nil {
		t.Fatal(err)
	}
	ctx, cancel = context.WithTimeout(f.ctx, 10*time.Second)
	defer cancel()
	releaseA, err = a.Take(ctx)
	if err != nil {
		t.Fatalf("the turn of a dead session was not freed: %v", err)
	}
	releaseB() // its unlock fails on the dead connection, which is dropped
	releaseA()
	releaseB, err = b.Take(ctx)
	if err != nil {
		t.Fatalf("the process whose connection died could not take a turn again: %v", err)
	}
	releaseB()
}
