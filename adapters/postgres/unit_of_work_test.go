package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"sync"
	"testing"

	"github.com/userservice/userservice/adapters/eventcontract"
	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/domain/user"
)

func TestRegisterWritesCommandEventReadModelAndOutboxTogether(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 10)
	res := f.register("Ada@Example.com")
	if !res.Changed || res.User.Version != 1 || res.User.Email != "ada@example.com" {
		t.Fatalf("result = %+v", res)
	}
	if got, want := f.counts(), (counts{commands: 1, events: 1, users: 1, outbox: 1, seats: 1}); got != want {
		t.Fatalf("counts = %+v, want %+v", got, want)
	}
	// The outbox row is on the user's shard and is the CloudEvents envelope.
	var payload []byte
	must(t, f.pool.QueryRow(f.ctx, `SELECT payload FROM watermill_`+OutboxTopic(OutboxShard(res.User.ID))+
		` WHERE metadata->>'partition_key' = $1`, res.User.ID.String()).Scan(&payload))
	var env eventcontract.Envelope
	must(t, json.Unmarshal(payload, &env))
	if env.Type != user.TypeRegistered || env.Subject != res.User.ID.String() || env.TenantID != f.tenant ||
		env.StreamVersion != 1 || env.SpecVersion != "1.0" || env.ID == "" {
		t.Fatalf("envelope = %+v", env)
	}
}

func TestNoOpCommandsWriteNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 10)
	id := f.register("noop@example.com").User.ID
	before := f.counts()
	for name, run := range map[string]func() (command.Result, error){
		"update same values": func() (command.Result, error) {
			return f.upd.Handle(f.ctx, command.UpdateUser{Envelope: f.env(), UserID: id,
				Patch: user.Patch{GivenName: ptr("Ada"), Email: ptr("NOOP@example.com")}})
		},
		"empty patch": func() (command.Result, error) {
			return f.upd.Handle(f.ctx, command.UpdateUser{Envelope: f.env(), UserID: id})
		},
		"reactivate an active": func() (command.Result, error) {
			return f.react.Handle(f.ctx, command.ReactivateUser{Envelope: f.env(), UserID: id})
		},
	} {
		res, err := run()
		if err != nil || res.Changed || res.User.Version != 1 {
			t.Errorf("%s: result %+v, err %v; want unchanged at version 1", name, res, err)
		}
	}
	if after := f.counts(); after != before {
		t.Fatalf("no-op commands wrote: before %+v, after %+v", before, after)
	}
}

func TestRepeatedCommandIDReturnsFirstOutcomeAndWritesNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 10)
	env := f.env()
	cmd := command.RegisterUser{Envelope: env, Registration: user.Registration{Email: "idem@example.com",
		Profile: user.Profile{GivenName: "Ida", FamilyName: "Em"}}}
	first, err := f.reg.Handle(f.ctx, cmd)
	must(t, err)
	before := f.counts()
	cmd.UserID = first.User.ID // what a retrying client sends is the same request
	again, err := f.reg.Handle(f.ctx, cmd)
	must(t, err)
	if !again.Replayed || !reflect.DeepEqual(again.User, first.User) {
		t.Fatalf("replay = %+v, want first outcome %+v", again, first)
	}
	if after := f.counts(); after != before {
		t.Fatalf("replay wrote: before %+v, after %+v", before, after)
	}
	cmd.Registration.Email = "other@example.com"
	if _, err := f.reg.Handle(f.ctx, cmd); !errors.Is(err, command.ErrIdempotencyKeyReused) {
		t.Fatalf("same key, other payload: err = %v, want ErrIdempotencyKeyReused", err)
	}
}

func TestConcurrentRepeatsOfOneCommandApplyOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 10)
	id := f.register("twin@example.com").User.ID
	env := f.env()
	var wg sync.WaitGroup
	results := make([]command.Result, 8)
	errs := make([]error, 8)
	for i := range results {
		wg.Go(func() {
			results[i], errs[i] = f.upd.Handle(f.ctx, command.UpdateUser{Envelope: env, UserID: id, Patch: user.Patch{Title: ptr("CTO")}})
		})
	}
	wg.Wait()
	for i := range results {
		if errs[i] != nil || results[i].User.Version != 2 {
			t.Fatalf("attempt %d: %+v, %v", i, results[i], errs[i])
		}
	}
	if c := f.counts(); c.events != 2 || c.commands != 2 {
		t.Fatalf("counts = %+v, want 2 events and 2 commands", c)
	}
}

func TestConcurrentWritersOnOneExpectedVersionExactlyOneWins(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 10)
	id := f.register("race@example.com").User.ID
	const writers = 6
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for i := range errs {
		wg.Go(func() {
			env := f.env()
			env.ExpectedVersion = ptr(1)
			_, errs[i] = f.upd.Handle(f.ctx, command.UpdateUser{Envelope: env, UserID: id,
				Patch: user.Patch{Department: ptr("dept " + string(rune('A'+i)))}})
		})
	}
	wg.Wait()
	wins := 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, user.ErrVersionConflict):
			t.Fatalf("loser got %v, want ErrVersionConflict", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d writers won, want exactly 1", wins)
	}
	if c := f.counts(); c.events != 2 {
		t.Fatalf("events = %d, want 2", c.events)
	}
}

func TestConcurrentWritersWithoutExpectedVersionAllApply(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 10)
	id := f.register("merge@example.com").User.ID
	fields := []user.Patch{{Department: ptr("R&D")}, {Title: ptr("Engineer")}, {Locale: ptr("en-GB")}}
	var wg sync.WaitGroup
	errs := make([]error, len(fields))
	for i, p := range fields {
		wg.Go(func() { _, errs[i] = f.upd.Handle(f.ctx, command.UpdateUser{Envelope: f.env(), UserID: id, Patch: p}) })
	}
	wg.Wait()
	for _, err := range errs {
		must(t, err)
	}
	got, err := NewUsers(f.pool).GetUser(f.ctx, f.tenant, id)
	must(t, err)
	if got.Department != "R&D" || got.Title != "Engineer" || got.Locale != "en-GB" || got.Version != 4 {
		t.Fatalf("user = %+v: an update was lost", got)
	}
}

func TestFailureAfterTheWritesLeavesNoTrace(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 10)
	before := f.counts()
	crash := errors.New("injected crash before commit")
	f.uow.beforeCommit = func(context.Context) error { return crash }
	_, err := f.reg.Handle(f.ctx, command.RegisterUser{Envelope: f.env(), Registration: user.Registration{
		Email: "ghost@example.com", Profile: user.Profile{GivenName: "Gh", FamilyName: "Ost"}}})
	if !errors.Is(err, crash) {
		t.Fatalf("err = %v, want the injected crash", err)
	}
	if after := f.counts(); after != before {
		t.Fatalf("a failed command left rows: before %+v, after %+v", before, after)
	}
}
