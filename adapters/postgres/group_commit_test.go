package postgres

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/domain/user"
)

// grouped runs calls as one group: a lone command holds the unit of work's
// only slot (at its commit) until the queued commands number queued (calls
// the handlers refuse never reach it), then they go as one transaction.
// commits is how many transactions committed after the lone one; crash, when
// set, is what the group's commit hook returns.
func (f *fixture) grouped(queued int, crash error, calls ...func() (command.Result, error)) (res []command.Result, errs []error, commits int) {
	f.t.Helper()
	must(f.t, f.uow.EnableGroupCommit(GroupCommitConfig{MaxGroup: 32, InFlight: 1}))
	gate := make(chan struct{})
	var (
		mu    sync.Mutex
		hooks int
	)
	f.uow.beforeCommit = func(context.Context) error {
		mu.Lock()
		hooks++
		n := hooks
		mu.Unlock()
		if n == 1 {
			<-gate
			return nil
		}
		return crash
	}
	hooked := func() int { mu.Lock(); defer mu.Unlock(); return hooks }
	queue := func() int { return f.uow.group.waiting(f.tenant) }
	var wg sync.WaitGroup
	wg.Go(func() { f.register("lone-" + uuid.NewString()[:8] + "@example.com") })
	waitFor(f.t, func() bool { return hooked() == 1 }, "the lone command at its commit")
	res, errs = make([]command.Result, len(calls)), make([]error, len(calls))
	for i, call := range calls {
		wg.Go(func() { res[i], errs[i] = call() })
	}
	waitFor(f.t, func() bool { return queue() == queued }, "the queue", queue)
	close(gate)
	wg.Wait()
	return res, errs, hooked() - 1
}

func waitFor(t *testing.T, cond func() bool, what string, show ...func() int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			for _, s := range show {
				t.Log(s())
			}
			panic("timed out waiting for " + what) // t.Fatal would hang in the pool's cleanup
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func (f *fixture) registerCall(env command.Envelope, email string) func() (command.Result, error) {
	return func() (command.Result, error) {
		return f.reg.Handle(f.ctx, command.RegisterUser{Envelope: env, Registration: user.Registration{
			Email: email, Profile: user.Profile{GivenName: "Gr", FamilyName: "Oup"}}})
	}
}

// Every kind of failure inside one group gets its own outcome, and the
// others are applied as if each had run alone.
func TestGroupGivesEachCommandItsOwnOutcome(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 100)
	taken := f.register("taken@example.com").User
	other := f.register("other@example.com").User
	twin := f.env()
	twin.ClientKey = true
	stale := 7
	staleEnv := f.env()
	staleEnv.ExpectedVersion = &stale
	calls := []func() (command.Result, error){
		f.registerCall(f.env(), "ok1@example.com"),
		f.registerCall(f.env(), "TAKEN@example.com"), // e-mail taken
		f.registerCall(f.env(), "not an e-mail"),     // validation (the domain's, in the group)
		func() (command.Result, error) { // version conflict
			return f.upd.Handle(f.ctx, command.UpdateUser{Envelope: staleEnv, UserID: other.ID, Patch: user.Patch{Title: ptr("X")}})
		},
		func() (command.Result, error) { // not found
			return f.upd.Handle(f.ctx, command.UpdateUser{Envelope: f.env(), UserID: user.ID(uuid.New()), Patch: user.Patch{Title: ptr("X")}})
		},
		f.registerCall(twin, "twin@example.com"), // the same key twice: one applied, one replayed
		f.registerCall(twin, "twin@example.com"),
		func() (command.Result, error) { // a real update in the same group
			return f.upd.Handle(f.ctx, command.UpdateUser{Envelope: f.env(), UserID: taken.ID, Patch: user.Patch{Department: ptr("R&D")}})
		},
		f.registerCall(f.env(), "ok2@example.com"),
	}
	before := f.counts()
	res, errs, commits := f.grouped(len(calls), nil, calls...)
	if commits != 1 {
		t.Errorf("%d commits for the group, want 1", commits)
	}
	var verr *user.ValidationError
	for i, want := range []func(command.Result, error) bool{
		func(r command.Result, err error) bool {
			return err == nil && r.Changed && r.User.Email == "ok1@example.com"
		},
		func(_ command.Result, err error) bool { return errors.Is(err, user.ErrEmailTaken) },
		func(_ command.Result, err error) bool { return errors.As(err, &verr) },
		func(_ command.Result, err error) bool { return errors.Is(err, user.ErrVersionConflict) },
		func(_ command.Result, err error) bool { return errors.Is(err, user.ErrNotFound) },
		func(r command.Result, err error) bool { return err == nil && r.User.Email == "twin@example.com" },
		func(r command.Result, err error) bool { return err == nil && r.User.Email == "twin@example.com" },
		func(r command.Result, err error) bool {
			return err == nil && r.Changed && r.User.Version == 2 && r.User.Department == "R&D"
		},
		func(r command.Result, err error) bool {
			return err == nil && r.Changed && r.User.Email == "ok2@example.com"
		},
	} {
		if !want(res[i], errs[i]) {
			t.Errorf("call %d: %+v, %v", i, res[i], errs[i])
		}
	}
	if res[5].User.ID != res[6].User.ID || res[5].Replayed == res[6].Replayed {
		t.Errorf("twins: %+v and %+v, want one applied and one replay of it", res[5], res[6])
	}
	// lone + ok1 + twin + ok2 registered; one update.
	after := f.counts()
	if got, want := after, (counts{commands: before.commands + 5, events: before.events + 5, users: before.users + 4,
		outbox: before.outbox + 5, seats: before.seats + 4}); got != want {
		t.Errorf("counts = %+v, want %+v", got, want)
	}
}

// A group that would overbook the tenant falls back to one command at a
// time: exactly the free seats are taken.
func TestGroupNeverOverbooksSeats(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 4)
	f.register("first@example.com")
	calls := make([]func() (command.Result, error), 4)
	for i := range calls {
		calls[i] = f.registerCall(f.env(), uuid.NewString()+"@example.com")
	}
	_, errs, _ := f.grouped(len(calls), nil, calls...) // the lone command takes the second seat
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, user.ErrSeatsExhausted):
			t.Fatalf("err = %v, want ErrSeatsExhausted", err)
		}
	}
	// first + lone + 2 of the 4 = the limit.
	if c := f.counts(); ok != 2 || c.seats != 4 || c.users != 4 || c.events != 4 || c.outbox != 4 {
		t.Fatalf("%d of the group applied, counts %+v; want 2 and 4 of everything", ok, c)
	}
}

// A crash between a group's writes and its commit leaves no trace of any
// of its commands, and each caller is told.
func TestGroupIsAllOrNothingPerCommandOnACrash(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 100)
	calls := make([]func() (command.Result, error), 5)
	for i := range calls {
		calls[i] = f.registerCall(f.env(), uuid.NewString()+"@example.com")
	}
	crash := errors.New("injected crash before the group's commit")
	before := f.counts()
	_, errs, _ := f.grouped(len(calls), crash, calls...)
	for i, err := range errs {
		if !errors.Is(err, crash) {
			t.Errorf("call %d: err = %v, want the crash", i, err)
		}
	}
	want := before
	want.commands, want.events, want.users, want.outbox, want.seats = before.commands+1, before.events+1, before.users+1, before.outbox+1, before.seats+1
	if after := f.counts(); !reflect.DeepEqual(after, want) {
		t.Fatalf("counts = %+v, want %+v (only the lone command)", after, want)
	}
}

// A tenant whose seat row is held (by an import's chunk, say) holds up only
// its own commands: another tenant's are neither queued nor grouped with
// them.
func TestGroupsNeverMixTenants(t *testing.T) {
	t.Parallel()
	a := newFixture(t, 100)
	must(t, a.uow.EnableGroupCommit(GroupCommitConfig{InFlight: 1}))
	b := &fixture{t: t, ctx: a.ctx, pool: a.pool, uow: a.uow, tenant: uuid.NewString(), reg: a.reg}
	must(t, NewTenants(a.pool).CreateTenant(a.ctx, command.Tenant{ID: b.tenant, Name: "other " + t.Name(), Seats: 10}))
	tx, err := a.pool.Begin(a.ctx)
	must(t, err)
	_, err = tx.Exec(a.ctx, `SELECT 1 FROM tenants WHERE id = $1 FOR UPDATE`, a.tenant)
	must(t, err)
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Go(func() { _, errs[i] = a.registerCall(a.env(), uuid.NewString()+"@example.com")() })
	}
	waitFor(t, func() bool { return a.uow.group.waiting(a.tenant) == 2 }, "tenant a's queue")
	ctx, cancel := context.WithTimeout(a.ctx, 3*time.Second)
	defer cancel()
	res, err := b.reg.Handle(ctx, command.RegisterUser{Envelope: b.env(), Registration: user.Registration{
		Email: "free@example.com", Profile: user.Profile{GivenName: "Fr", FamilyName: "Ee"}}})
	if err != nil || !res.Changed {
		t.Errorf("tenant b while tenant a is held: %+v, %v", res, err)
	}
	must(t, tx.Rollback(a.ctx))
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("tenant a's command %d: %v", i, err)
		}
	}
	if c := a.counts(); c.users != 3 || c.seats != 3 {
		t.Errorf("tenant a: %+v, want its 3 users", c)
	}
}
