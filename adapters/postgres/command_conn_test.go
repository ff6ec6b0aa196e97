package postgres

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/domain/user"
)

// A registration whose id the handler makes skips every read: a repeated
// key is caught by the command record's key inside the transaction, and the
// caller still gets the first outcome.
func TestRepeatedKeyOfAFreshRegistrationReplaysTheFirst(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 10)
	cmd := command.RegisterUser{Envelope: f.env(), Registration: user.Registration{Email: "fresh@example.com",
		Profile: user.Profile{GivenName: "Fr", FamilyName: "Esh"}}}
	cmd.ClientKey = true
	first, err := f.reg.Handle(f.ctx, cmd)
	must(t, err)
	before := f.counts()
	again, err := f.reg.Handle(f.ctx, cmd) // no UserID: the handler makes a new one
	must(t, err)
	if !again.Replayed || !reflect.DeepEqual(again.User, first.User) {
		t.Fatalf("replay = %+v, want first outcome %+v", again, first)
	}
	if after := f.counts(); after != before {
		t.Fatalf("replay wrote: before %+v, after %+v", before, after)
	}
}

// A no-op is answered from a read that takes no lock: it completes while
// another transaction holds the user's row and the tenant's seat row.
func TestNoOpNeedsNoLock(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 10)
	id := f.register("locked@example.com").User.ID
	tx, err := f.pool.Begin(f.ctx)
	must(t, err)
	defer func() { _ = tx.Rollback(context.Background()) }()
	_, err = tx.Exec(f.ctx, `SELECT 1 FROM users WHERE id = $1 FOR UPDATE`, id)
	must(t, err)
	_, err = tx.Exec(f.ctx, `SELECT 1 FROM tenants WHERE id = $1 FOR UPDATE`, f.tenant)
	must(t, err)
	ctx, cancel := context.WithTimeout(f.ctx, 3*time.Second)
	defer cancel()
	res, err := f.upd.Handle(ctx, command.UpdateUser{Envelope: f.env(), UserID: id, Patch: user.Patch{GivenName: ptr("Ada")}})
	if err != nil || res.Changed {
		t.Fatalf("no-op under locks: %+v, %v; want unchanged at once", res, err)
	}
}

// The checks that travel in the pipeline before its COMMIT fail in the
// database: a registration into a full tenant commits nothing, and the
// connection it used is clean for the next command.
func TestFailedCheckInThePipelineCommitsNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 1)
	id := f.register("one@example.com").User.ID
	before := f.counts()
	for range 3 { // more than once: the connection goes back to the pool each time
		_, err := f.reg.Handle(f.ctx, command.RegisterUser{Envelope: f.env(), Registration: user.Registration{
			Email: "two@example.com", Profile: user.Profile{GivenName: "T", FamilyName: "Wo"}}})
		if !errors.Is(err, user.ErrSeatsExhausted) {
			t.Fatalf("err = %v, want ErrSeatsExhausted", err)
		}
	}
	if after := f.counts(); after != before {
		t.Fatalf("a refused registration wrote: before %+v, after %+v", before, after)
	}
	res, err := f.upd.Handle(f.ctx, command.UpdateUser{Envelope: f.env(), UserID: id, Patch: user.Patch{Title: ptr("Boss")}})
	if err != nil || !res.Changed || res.User.Version != 2 {
		t.Fatalf("update after the refusals: %+v, %v", res, err)
	}
}
