package postgres

import (
	"errors"
	"reflect"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/domain/user"
)

func TestSeatsAreNeverOverbooked(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 5)
	const contenders = 12
	var wg sync.WaitGroup
	errs := make([]error, contenders)
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = f.reg.Handle(f.ctx, command.RegisterUser{Envelope: f.env(), Registration: user.Registration{
				Email: uuid.NewString() + "@example.com", Profile: user.Profile{GivenName: "S", FamilyName: "Eat"}}})
		})
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, user.ErrSeatsExhausted):
			t.Fatalf("err = %v, want ErrSeatsExhausted", err)
		}
	}
	if c := f.counts(); ok != 5 || c.seats != 5 || c.users != 5 || c.events != 5 || c.outbox != 5 {
		t.Fatalf("%d registrations succeeded, counts %+v; want exactly 5 of everything", ok, c)
	}
}

func TestSeatFreedByDeactivationCanBeTakenAgain(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 1)
	first := f.register("first@example.com").User.ID
	if _, err := f.reg.Handle(f.ctx, command.RegisterUser{Envelope: f.env(), Registration: user.Registration{
		Email: "second@example.com", Profile: user.Profile{GivenName: "Sec", FamilyName: "Ond"}}}); !errors.Is(err, user.ErrSeatsExhausted) {
		t.Fatalf("second registration: err = %v, want ErrSeatsExhausted", err)
	}
	// A deactivated registration takes no seat at all.
	if _, err := f.reg.Handle(f.ctx, command.RegisterUser{Envelope: f.env(), Registration: user.Registration{
		Email: "leaver@example.com", Status: user.StatusDeactivated, Profile: user.Profile{GivenName: "Lea", FamilyName: "Ver"}}}); err != nil {
		t.Fatalf("deactivated registration: %v", err)
	}
	res, err := f.deact.Handle(f.ctx, command.DeactivateUser{Envelope: f.env(), UserID: first, Reason: "left"})
	if err != nil || res.User.Status != user.StatusDeactivated || res.User.Version != 2 {
		t.Fatalf("deactivate: %+v, %v", res, err)
	}
	second := f.register("second@example.com").User.ID
	if _, err := f.react.Handle(f.ctx, command.ReactivateUser{Envelope: f.env(), UserID: first}); !errors.Is(err, user.ErrSeatsExhausted) {
		t.Fatalf("reactivation beyond seats: err = %v, want ErrSeatsExhausted", err)
	}
	_, err = f.upd.Handle(f.ctx, command.UpdateUser{Envelope: f.env(), UserID: second, Patch: user.Patch{Status: ptr(user.StatusDeactivated)}})
	must(t, err)
	if _, err := f.react.Handle(f.ctx, command.ReactivateUser{Envelope: f.env(), UserID: first}); err != nil {
		t.Fatalf("reactivation with a free seat: %v", err)
	}
	if c := f.counts(); c.seats != 1 {
		t.Fatalf("seats used = %d, want 1", c.seats)
	}
}

func TestUniqueEmailAndExternalIDPerTenant(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 10)
	other := newFixture(t, 10)
	a := f.register("taken@example.com").User.ID
	_, err := f.upd.Handle(f.ctx, command.UpdateUser{Envelope: f.env(), UserID: a, Patch: user.Patch{ExternalID: ptr("E-1")}})
	must(t, err)
	before := f.counts()
	register := func(fx *fixture, email, ext string) error {
		_, err := fx.reg.Handle(fx.ctx, command.RegisterUser{Envelope: fx.env(), Registration: user.Registration{
			Email: email, Profile: user.Profile{GivenName: "U", FamilyName: "Nique", ExternalID: ext}}})
		return err
	}
	if err := register(f, " TAKEN@example.com", ""); !errors.Is(err, user.ErrEmailTaken) {
		t.Fatalf("duplicate email: err = %v, want ErrEmailTaken", err)
	}
	if err := register(f, "free@example.com", "E-1"); !errors.Is(err, user.ErrExternalIDTaken) {
		t.Fatalf("duplicate external id: err = %v, want ErrExternalIDTaken", err)
	}
	b := f.register("b@example.com").User.ID
	if _, err := f.upd.Handle(f.ctx, command.UpdateUser{Envelope: f.env(), UserID: b, Patch: user.Patch{Email: ptr("taken@example.com")}}); !errors.Is(err, user.ErrEmailTaken) {
		t.Fatalf("email change onto a taken address: err = %v, want ErrEmailTaken", err)
	}
	if after := f.counts(); after.events != before.events+1 || after.commands != before.commands+1 {
		t.Fatalf("refused commands wrote: before %+v, after %+v", before, after)
	}
	// Another tenant may use the same address and external id.
	if err := register(other, "taken@example.com", "E-1"); err != nil {
		t.Fatalf("same email in another tenant: %v", err)
	}
}

func TestManagerRules(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 10)
	other := newFixture(t, 10)
	a := f.register("a@example.com").User.ID
	b := f.register("b@example.com").User.ID
	c := f.register("c@example.com").User.ID
	foreign := other.register("x@example.com").User.ID
	setManager := func(id, manager user.ID) error {
		_, err := f.upd.Handle(f.ctx, command.UpdateUser{Envelope: f.env(), UserID: id, Patch: user.Patch{ManagerID: ptr(manager.String())}})
		return err
	}
	must(t, setManager(b, a)) // a <- b
	must(t, setManager(c, b)) // a <- b <- c
	if err := setManager(a, c); !errors.Is(err, user.ErrManagerCycle) {
		t.Fatalf("closing a loop: err = %v, want ErrManagerCycle", err)
	}
	if err := setManager(a, foreign); !errors.Is(err, user.ErrManagerNotFound) {
		t.Fatalf("manager of another tenant: err = %v, want ErrManagerNotFound", err)
	}
	if err := setManager(a, user.ID(uuid.New())); !errors.Is(err, user.ErrManagerNotFound) {
		t.Fatalf("unknown manager: err = %v, want ErrManagerNotFound", err)
	}
}

func TestConcurrentManagerChangesCannotCloseALoop(t *testing.T) {
	t.Parallel()
	for round := 0; round < 5; round++ {
		f := newFixture(t, 10)
		a := f.register("a@example.com").User.ID
		b := f.register("b@example.com").User.ID
		var wg sync.WaitGroup
		var errAB, errBA error
		wg.Go(func() {
			_, errAB = f.upd.Handle(f.ctx, command.UpdateUser{Envelope: f.env(), UserID: a, Patch: user.Patch{ManagerID: ptr(b.String())}})
		})
		wg.Go(func() {
			_, errBA = f.upd.Handle(f.ctx, command.UpdateUser{Envelope: f.env(), UserID: b, Patch: user.Patch{ManagerID: ptr(a.String())}})
		})
		wg.Wait()
		if (errAB == nil) == (errBA == nil) {
			t.Fatalf("round %d: a->b err %v, b->a err %v; want exactly one to succeed", round, errAB, errBA)
		}
		if err := errors.Join(errAB, errBA); !errors.Is(err, user.ErrManagerCycle) {
			t.Fatalf("round %d: loser err = %v, want ErrManagerCycle", round, err)
		}
	}
}

func TestCommandsCannotReachAnotherTenant(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 10)
	other := newFixture(t, 10)
	victim := other.register("victim@example.com").User
	before := other.counts()
	if _, err := f.upd.Handle(f.ctx, command.UpdateUser{Envelope: f.env(), UserID: victim.ID, Patch: user.Patch{Title: ptr("pwned")}}); !errors.Is(err, user.ErrNotFound) {
		t.Fatalf("update across tenants: err = %v, want ErrNotFound", err)
	}
	if _, err := f.deact.Handle(f.ctx, command.DeactivateUser{Envelope: f.env(), UserID: victim.ID}); !errors.Is(err, user.ErrNotFound) {
		t.Fatalf("deactivate across tenants: err = %v, want ErrNotFound", err)
	}
	// Registering with the victim's id must not overwrite them either.
	_, err := f.reg.Handle(f.ctx, command.RegisterUser{Envelope: f.env(), UserID: victim.ID, Registration: user.Registration{
		Email: "hijack@example.com", Profile: user.Profile{GivenName: "Hi", FamilyName: "Jack"}}})
	if err == nil {
		t.Fatal("registering another tenant's user id succeeded")
	}
	if _, err := NewUsers(f.pool).GetUser(f.ctx, f.tenant, victim.ID); !errors.Is(err, user.ErrNotFound) {
		t.Fatalf("read across tenants: err = %v, want ErrNotFound", err)
	}
	got, err := NewUsers(other.pool).GetUser(other.ctx, other.tenant, victim.ID)
	must(t, err)
	if !reflect.DeepEqual(got, victim) || other.counts() != before {
		t.Fatalf("victim changed: %+v (was %+v)", got, victim)
	}
}
