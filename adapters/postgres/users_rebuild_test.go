package postgres

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/userservice/userservice/adapters/projection"
	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/domain/user"
)

// Users written by concurrent writers, their read model destroyed, then
// replayed: every row comes back exactly, every column, every version.
func TestReplayRestoresADestroyedModelExactly(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 100000)
	f.churn(8, 60, 1, nil, nil)
	before := f.liveRows()
	if len(before) < 50 {
		t.Fatalf("only %d users written", len(before))
	}
	sameRows(t, "the inline model against the events", before, f.foldedRows())
	f.destroyUsers()

	res, err := f.rebuild(f.ctx, projection.RebuildConfig{BatchSize: 37})
	must(t, err)
	// Missing rows cannot change while missing: they are copied back
	// before the lock, which then has nothing left to do.
	if res.Restored != len(before) || res.Inserted != 0 || res.Deleted != 0 || len(res.Differences) != len(before) {
		t.Fatalf("restored %d, swap inserted %d, deleted %d, found %d differences; want %d missing rows restored",
			res.Restored, res.Inserted, res.Deleted, len(res.Differences), len(before))
	}
	for _, d := range res.Differences {
		if d.Kind != projection.DiffMissing || d.TenantID != f.tenant {
			t.Fatalf("difference %+v, want only missing rows of the tenant", d)
		}
	}
	sameRows(t, "after replay", f.liveRows(), before)

	verify, err := f.rebuild(f.ctx, projection.RebuildConfig{Verify: true})
	must(t, err)
	if len(verify.Differences) != 0 {
		t.Fatalf("verify after replay: %+v", verify.Differences)
	}
}

// The same while writers keep going through every phase: the rebuild waits,
// in its bulk load, its catch-up and its comparison, until writes have
// committed behind it; afterwards the model is exactly the events' fold.
func TestReplayWhileWritesContinue(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 100000)
	f.churn(4, 40, 2, nil, nil)
	f.destroyUsers()

	stop := make(chan struct{})
	var done atomic.Int64
	var wg sync.WaitGroup
	wg.Go(func() { f.churn(4, 1<<30, 3, stop, &done) })
	defer func() {
		close(stop)
		wg.Wait()
	}()
	waited := map[string]bool{}
	progress := func(p projection.Progress) {
		if waited[p.Phase] || p.Phase == projection.PhaseSwap {
			return // never wait while the live model is locked
		}
		waited[p.Phase] = true
		for from := done.Load(); done.Load() < from+5; time.Sleep(time.Millisecond) {
			if f.ctx.Err() != nil {
				return
			}
		}
	}
	res, err := f.rebuild(f.ctx, projection.RebuildConfig{BatchSize: 20, Progress: progress, ProgressInterval: time.Nanosecond})
	must(t, err)
	for _, phase := range []string{projection.PhaseBulk, projection.PhaseCatchUp, projection.PhaseVerify} {
		if !waited[phase] {
			t.Errorf("no writes were made to wait for during %s", phase)
		}
	}
	if res.CatchUpEvents == 0 {
		t.Errorf("nothing caught up: %+v", res)
	}
	close(stop)
	wg.Wait()
	stop = make(chan struct{})
	sameRows(t, "after replay under writes", f.liveRows(), f.foldedRows())
	t.Logf("bulk %d events, caught up %d, restored %d rows, then replaced %d/%d holding the lock %s; %d commands during the replay",
		res.BulkEvents, res.CatchUpEvents, res.Restored, res.Deleted, res.Inserted, res.LockHeld, done.Load())
}

// --verify reports what differs and changes nothing; the swap then repairs
// exactly that, on the live table with its usual constraints.
func TestVerifyReportsDifferencesAndTheSwapRepairsThem(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 100)
	tampered := f.register("tampered@example.com").User.ID
	lost := f.register("lost@example.com").User.ID
	f.register("fine@example.com")
	stray := f.register("stray@example.com").User
	for _, sql := range []string{
		`UPDATE users SET title = 'tampered' WHERE id = '` + tampered.String() + `'`,
		`DELETE FROM users WHERE id = '` + lost.String() + `'`,
		`DELETE FROM events WHERE stream_id = '` + stray.ID.String() + `'`,
	} {
		_, err := f.pool.Exec(f.ctx, sql)
		must(t, err)
	}
	before := f.liveRows()

	res, err := f.rebuild(f.ctx, projection.RebuildConfig{Verify: true})
	must(t, err)
	kinds := map[user.ID]string{}
	for _, d := range res.Differences {
		kinds[d.StreamID] = d.Kind + ": " + d.Detail
	}
	if len(kinds) != 3 || kinds[tampered] != `changed: title: live "tampered", rebuilt ""` ||
		kinds[lost] != "missing: rebuilt at version 1" || kinds[stray.ID] != "unexpected: live at version 1, no events" {
		t.Fatalf("differences: %v", kinds)
	}
	sameRows(t, "verify must not write", f.liveRows(), before)

	res, err = f.rebuild(f.ctx, projection.RebuildConfig{})
	must(t, err)
	if res.Restored != 1 || res.Deleted != 2 || res.Inserted != 1 {
		t.Fatalf("restored %d, then deleted %d, inserted %d; want the lost row restored, then the tampered and stray rows out and the tampered row in",
			res.Restored, res.Deleted, res.Inserted)
	}
	sameRows(t, "after the swap", f.liveRows(), f.foldedRows())
	// The live table is the same table: its constraints still map to the domain's errors.
	_, err = f.reg.Handle(f.ctx, command.RegisterUser{Envelope: f.env(), Registration: user.Registration{
		Email: "lost@example.com", Profile: user.Profile{GivenName: "A", FamilyName: "B"}}})
	if !errors.Is(err, user.ErrEmailTaken) {
		t.Fatalf("duplicate e-mail after the swap: %v, want ErrEmailTaken", err)
	}
}

// One rebuild per projection and scope: a second one of the same tenant is
// refused while the first runs; another tenant's proceeds.
func TestOneRebuildOfAScopeAtATime(t *testing.T) {
	t.Parallel()
	f, other := newFixture(t, 10), newFixture(t, 10)
	f.register("a@example.com")
	other.register("b@example.com")
	started, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	errc := make(chan error, 1)
	go func() {
		_, err := f.rebuild(f.ctx, projection.RebuildConfig{ProgressInterval: time.Nanosecond, Progress: func(projection.Progress) {
			once.Do(func() { close(started); <-release })
		}})
		errc <- err
	}()
	select {
	case <-started:
	case err := <-errc:
		t.Fatalf("the first rebuild ended before reporting progress: %v", err)
	}
	if _, err := f.rebuild(f.ctx, projection.RebuildConfig{}); !errors.Is(err, projection.ErrRebuildRunning) {
		t.Errorf("second rebuild of the tenant: %v, want ErrRebuildRunning", err)
	}
	if _, err := other.rebuild(other.ctx, projection.RebuildConfig{}); err != nil {
		t.Errorf("another tenant's rebuild: %v", err)
	}
	close(release)
	must(t, <-errc)
}

// Interrupted in its bulk load, a rebuild leaves its progress; the next run
// resumes there and still ends with the exact model.
func TestInterruptedReplayResumes(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 100000)
	f.churn(4, 50, 4, nil, nil)
	before := f.liveRows()
	f.destroyUsers()

	ctx, cancel := context.WithCancel(f.ctx)
	defer cancel()
	_, err := f.rebuild(ctx, projection.RebuildConfig{BatchSize: 10, ProgressInterval: time.Nanosecond,
		Progress: func(p projection.Progress) {
			if p.Phase == projection.PhaseBulk && p.Done >= 30 {
				cancel()
			}
		}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted rebuild: %v, want context.Canceled", err)
	}
	var loaded int64
	must(t, f.pool.QueryRow(f.ctx, `SELECT bulk_events FROM projection_rebuilds WHERE projection = 'users' AND scope = $1`,
		f.tenant).Scan(&loaded))
	if loaded < 30 {
		t.Fatalf("the interrupted run recorded %d loaded events", loaded)
	}
	res, err := f.rebuild(f.ctx, projection.RebuildConfig{BatchSize: 10})
	must(t, err)
	if !res.Resumed || res.BulkEvents == 0 {
		t.Fatalf("second run: %+v, want it to resume the bulk load", res)
	}
	sameRows(t, "after the resumed replay", f.liveRows(), before)
}
