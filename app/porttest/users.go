package porttest

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/app/query"
	"github.com/userservice/userservice/domain/user"
)

// UsersEnv is what the user suite runs on: a unit of work and the readers of
// what it writes, on one store.
type UsersEnv struct {
	UnitOfWork command.UnitOfWork
	Users      query.UserReader
	Events     query.EventReader
	Tenants    command.TenantStore
}

// usersFixture is one subtest's tenant and the use cases on the env.
type usersFixture struct {
	t          *testing.T
	ctx        context.Context
	tenant     string
	register   command.RegisterUserHandler
	update     command.UpdateUserHandler
	deactivate command.DeactivateUserHandler
	reactivate command.ReactivateUserHandler
	remove     command.DeleteUserHandler
	get        query.GetUserHandler
	list       query.ListUsersHandler
	events     query.GetUserEventsHandler
	env        UsersEnv
}

func newUsersFixture(t *testing.T, env UsersEnv, seats int) *usersFixture {
	t.Helper()
	f := &usersFixture{t: t, ctx: context.Background(), tenant: uuid.NewString(), env: env}
	must(t, env.Tenants.CreateTenant(f.ctx, command.Tenant{ID: f.tenant, Name: t.Name(), Seats: seats}))
	var err error
	f.register, err = command.NewRegisterUserHandler(env.UnitOfWork, newUserID)
	must(t, err)
	f.update, err = command.NewUpdateUserHandler(env.UnitOfWork)
	must(t, err)
	f.deactivate, err = command.NewDeactivateUserHandler(env.UnitOfWork)
	must(t, err)
	f.reactivate, err = command.NewReactivateUserHandler(env.UnitOfWork)
	must(t, err)
	f.remove, err = command.NewDeleteUserHandler(env.UnitOfWork)
	must(t, err)
	f.get, err = query.NewGetUserHandler(env.Users)
	must(t, err)
	f.list, err = query.NewListUsersHandler(env.Users)
	must(t, err)
	f.events, err = query.NewGetUserEventsHandler(env.Events)
	must(t, err)
	return f
}

func (f *usersFixture) envelope() command.Envelope {
	return command.Envelope{CommandID: uuid.NewString(), TenantID: f.tenant, Source: command.SourceAPI, Actor: "porttest",
		CorrelationID: uuid.NewString()}
}

func (f *usersFixture) registerAs(env command.Envelope, email, externalID string) (command.Result, error) {
	return f.register.Handle(f.ctx, command.RegisterUser{Envelope: env, Registration: user.Registration{Email: email,
		Profile: user.Profile{GivenName: "Ada", FamilyName: "Lovelace", ExternalID: externalID}}})
}

func (f *usersFixture) mustRegister(email, externalID string) user.Snapshot {
	f.t.Helper()
	res, err := f.registerAs(f.envelope(), email, externalID)
	if err != nil || !res.Changed || res.Replayed || res.User.Version != 1 {
		f.t.Fatalf("register %s = %+v, %v; want a new user at version 1", email, res, err)
	}
	return res.User
}

func (f *usersFixture) wantErr(what string, err, want error) {
	f.t.Helper()
	if !errors.Is(err, want) {
		f.t.Errorf("%s: err = %v, want %v", what, err, want)
	}
}

// UserStore runs the contract of command.UnitOfWork with the users read
// model and event store: the promises every user command relies on.
func UserStore(t *testing.T, newEnv func(t *testing.T) UsersEnv) {
	for _, tc := range []struct {
		name string
		run  func(f *usersFixture)
	}{
		{"a registration is read back and recorded as one event", registeredIsRead},
		{"a repeated command id replays the first outcome and writes nothing", repeatedCommandReplays},
		{"a command id reused for another command is refused", reusedKeyRefused},
		{"a command that changes nothing writes nothing", unchangedWritesNothing},
		{"a client key is recorded even when nothing changed", clientKeyRecordedOnNoop},
		{"an expected version that is not the stream's is a conflict", expectedVersionConflict},
		{"e-mail, external id and username are unique per tenant", uniquePerTenant},
		{"a deleted user frees its e-mail address and is not found", deletedFreesEmail},
		{"seats are never overbooked and deactivation frees one", seatsNeverOverbooked},
		{"managers must exist in the tenant and never form a cycle", managersChecked},
		{"another tenant's user is not found and not changed", tenantsIsolated},
		{"a refused decision writes nothing", refusedDecisionWritesNothing},
		{"users are listed in pages by id, filtered", listedInPages},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(newUsersFixture(t, newEnv(t), 10))
		})
	}
}

func registeredIsRead(f *usersFixture) {
	u := f.mustRegister("ada@example.com", "E-1")
	got, err := f.get.Handle(f.ctx, query.GetUser{TenantID: f.tenant, UserID: u.ID})
	if err != nil || got.Email != "ada@example.com" || got.ExternalID != "E-1" || got.Version != 1 || got.Status != user.StatusActive {
		f.t.Errorf("GetUser = %+v, %v", got, err)
	}
	events, err := f.events.Handle(f.ctx, query.GetUserEvents{TenantID: f.tenant, UserID: u.ID})
	must(f.t, err)
	type meta struct {
		version            int
		typ, tenant, actor string
		stream             user.ID
		data               bool
	}
	want := []meta{{1, user.TypeRegistered, f.tenant, "porttest", u.ID, true}}
	gotEvents := make([]meta, len(events))
	for i, e := range events {
		gotEvents[i] = meta{e.Version, e.Type, e.TenantID, e.Actor, e.StreamID, len(e.Data) > 0}
	}
	if !slices.Equal(gotEvents, want) {
		f.t.Errorf("events = %+v, want %+v", gotEvents, want)
	}
}

func repeatedCommandReplays(f *usersFixture) {
	env := f.envelope()
	first, err := f.registerAs(env, "grace@example.com", "")
	must(f.t, err)
	again, err := f.registerAs(env, "grace@example.com", "")
	if err != nil || !again.Replayed || !again.Changed || again.User.ID != first.User.ID || again.User.Version != 1 {
		f.t.Errorf("repeat = %+v, %v; want the first outcome, replayed", again, err)
	}
	page, err := f.list.Handle(f.ctx, query.ListUsers{TenantID: f.tenant})
	if err != nil || len(page.Users) != 1 {
		f.t.Errorf("after a repeat: %d users, %v; want 1", len(page.Users), err)
	}
}

func reusedKeyRefused(f *usersFixture) {
	env := f.envelope()
	_, err := f.registerAs(env, "alan@example.com", "")
	must(f.t, err)
	_, err = f.registerAs(env, "someone.else@example.com", "")
	f.wantErr("same id, other payload", err, command.ErrIdempotencyKeyReused)
}

func unchangedWritesNothing(f *usersFixture) {
	u := f.mustRegister("edsger@example.com", "")
	res, err := f.update.Handle(f.ctx, command.UpdateUser{Envelope: f.envelope(), UserID: u.ID, Patch: user.Patch{GivenName: ptr("Ada")}})
	if err != nil || res.Changed || res.User.Version != 1 {
		f.t.Errorf("no-op update = %+v, %v; want unchanged at version 1", res, err)
	}
	events, err := f.events.Handle(f.ctx, query.GetUserEvents{TenantID: f.tenant, UserID: u.ID})
	if err != nil || len(events) != 1 {
		f.t.Errorf("after a no-op: %d events, %v", len(events), err)
	}
}

func clientKeyRecordedOnNoop(f *usersFixture) {
	u := f.mustRegister("barbara@example.com", "")
	env := f.envelope()
	env.ClientKey = true
	noop := command.UpdateUser{Envelope: env, UserID: u.ID, Patch: user.Patch{GivenName: ptr("Ada")}}
	_, err := f.update.Handle(f.ctx, noop)
	must(f.t, err)
	again, err := f.update.Handle(f.ctx, noop)
	if err != nil || !again.Replayed || again.Changed {
		f.t.Errorf("repeated no-op with a client key = %+v, %v; want replayed, unchanged", again, err)
	}
	change := command.UpdateUser{Envelope: env, UserID: u.ID, Patch: user.Patch{GivenName: ptr("Barbara")}}
	_, err = f.update.Handle(f.ctx, change)
	f.wantErr("the key of a no-op reused for a change", err, command.ErrIdempotencyKeyReused)
}

func expectedVersionConflict(f *usersFixture) {
	u := f.mustRegister("donald@example.com", "")
	env := f.envelope()
	env.ExpectedVersion = ptr(2)
	_, err := f.update.Handle(f.ctx, command.UpdateUser{Envelope: env, UserID: u.ID, Patch: user.Patch{GivenName: ptr("Don")}})
	f.wantErr("stale If-Match", err, user.ErrVersionConflict)
	env = f.envelope()
	env.ExpectedVersion = ptr(1)
	res, err := f.update.Handle(f.ctx, command.UpdateUser{Envelope: env, UserID: u.ID, Patch: user.Patch{GivenName: ptr("Don")}})
	if err != nil || !res.Changed || res.User.Version != 2 || res.User.GivenName != "Don" {
		f.t.Errorf("update at the right version = %+v, %v", res, err)
	}
}

func uniquePerTenant(f *usersFixture) {
	f.mustRegister("ken@example.com", "E-7")
	_, err := f.registerAs(f.envelope(), "KEN@example.com", "")
	f.wantErr("same e-mail", err, user.ErrEmailTaken)
	_, err = f.registerAs(f.envelope(), "dennis@example.com", "E-7")
	f.wantErr("same external id", err, user.ErrExternalIDTaken)
	_, err = f.register.Handle(f.ctx, command.RegisterUser{Envelope: f.envelope(), Registration: user.Registration{
		Email: "rob@example.com", Profile: user.Profile{GivenName: "R", FamilyName: "P", Username: "Ken@Example.com"}}})
	f.wantErr("a username equal to another's e-mail (case aside)", err, user.ErrUsernameTaken)

	other := newUsersFixture(f.t, f.env, 10)
	other.mustRegister("ken@example.com", "E-7") // another tenant: free
}

func deletedFreesEmail(f *usersFixture) {
	u := f.mustRegister("niklaus@example.com", "")
	res, err := f.remove.Handle(f.ctx, command.DeleteUser{Envelope: f.envelope(), UserID: u.ID})
	if err != nil || !res.Changed {
		f.t.Fatalf("delete = %+v, %v", res, err)
	}
	_, err = f.get.Handle(f.ctx, query.GetUser{TenantID: f.tenant, UserID: u.ID})
	f.wantErr("get a deleted user", err, user.ErrNotFound)
	_, err = f.update.Handle(f.ctx, command.UpdateUser{Envelope: f.envelope(), UserID: u.ID, Patch: user.Patch{GivenName: ptr("N")}})
	f.wantErr("update a deleted user", err, user.ErrNotFound)
	f.mustRegister("niklaus@example.com", "")
}

func seatsNeverOverbooked(f *usersFixture) {
	f = newUsersFixture(f.t, f.env, 1)
	first := f.mustRegister("john@example.com", "")
	_, err := f.registerAs(f.envelope(), "john2@example.com", "")
	f.wantErr("a second active user on one seat", err, user.ErrSeatsExhausted)
	res, err := f.deactivate.Handle(f.ctx, command.DeactivateUser{Envelope: f.envelope(), UserID: first.ID})
	if err != nil || !res.Changed || res.User.Status != user.StatusDeactivated {
		f.t.Fatalf("deactivate = %+v, %v", res, err)
	}
	f.mustRegister("john2@example.com", "")
	_, err = f.reactivate.Handle(f.ctx, command.ReactivateUser{Envelope: f.envelope(), UserID: first.ID})
	f.wantErr("reactivating with no free seat", err, user.ErrSeatsExhausted)
}

func managersChecked(f *usersFixture) {
	boss := f.mustRegister("boss@example.com", "")
	worker := f.mustRegister("worker@example.com", "")
	missing, _ := newUserID()
	_, err := f.update.Handle(f.ctx, command.UpdateUser{Envelope: f.envelope(), UserID: worker.ID, Patch: user.Patch{ManagerID: ptr(missing.String())}})
	f.wantErr("a manager who is not there", err, user.ErrManagerNotFound)
	res, err := f.update.Handle(f.ctx, command.UpdateUser{Envelope: f.envelope(), UserID: worker.ID, Patch: user.Patch{ManagerID: ptr(boss.ID.String())}})
	if err != nil || res.User.ManagerID != boss.ID.String() {
		f.t.Fatalf("set manager = %+v, %v", res, err)
	}
	_, err = f.update.Handle(f.ctx, command.UpdateUser{Envelope: f.envelope(), UserID: boss.ID, Patch: user.Patch{ManagerID: ptr(worker.ID.String())}})
	f.wantErr("a cycle of managers", err, user.ErrManagerCycle)

	other := newUsersFixture(f.t, f.env, 10)
	_, err = other.register.Handle(other.ctx, command.RegisterUser{Envelope: other.envelope(), Registration: user.Registration{
		Email: "x@example.com", Profile: user.Profile{GivenName: "X", FamilyName: "Y", ManagerID: boss.ID.String()}}})
	f.wantErr("a manager of another tenant", err, user.ErrManagerNotFound)
}

func tenantsIsolated(f *usersFixture) {
	u := f.mustRegister("alice@example.com", "")
	other := newUsersFixture(f.t, f.env, 10)
	_, err := other.get.Handle(other.ctx, query.GetUser{TenantID: other.tenant, UserID: u.ID})
	f.wantErr("get another tenant's user", err, user.ErrNotFound)
	_, err = other.events.Handle(other.ctx, query.GetUserEvents{TenantID: other.tenant, UserID: u.ID})
	f.wantErr("events of another tenant's user", err, user.ErrNotFound)
	_, err = other.update.Handle(other.ctx, command.UpdateUser{Envelope: other.envelope(), UserID: u.ID, Patch: user.Patch{GivenName: ptr("Eve")}})
	f.wantErr("update another tenant's user", err, user.ErrNotFound)
	got, err := f.get.Handle(f.ctx, query.GetUser{TenantID: f.tenant, UserID: u.ID})
	if err != nil || got.GivenName != "Ada" || got.Version != 1 {
		f.t.Errorf("the user after another tenant's attempt = %+v, %v", got, err)
	}
}

func refusedDecisionWritesNothing(f *usersFixture) {
	env := f.envelope()
	_, err := f.register.Handle(f.ctx, command.RegisterUser{Envelope: env, Registration: user.Registration{Email: "not an address"}})
	var verr *user.ValidationError
	if !errors.As(err, &verr) {
		f.t.Fatalf("invalid registration: err = %v, want a *user.ValidationError", err)
	}
	// Nothing was recorded under the id: it may be used for a valid command.
	if _, err := f.registerAs(env, "valid@example.com", ""); err != nil {
		f.t.Errorf("the id of a refused command, used again: %v", err)
	}
}

func listedInPages(f *usersFixture) {
	var ids []user.ID
	for _, e := range []string{"a@example.com", "b@example.com", "c@example.com"} {
		ids = append(ids, f.mustRegister(e, "").ID)
	}
	_, err := f.deactivate.Handle(f.ctx, command.DeactivateUser{Envelope: f.envelope(), UserID: ids[1]})
	must(f.t, err)
	if seen := f.pagedIDs(2); !slices.Equal(seen, ids) {
		f.t.Errorf("paged ids = %v, want %v in id order", seen, ids)
	}
	page, err := f.list.Handle(f.ctx, query.ListUsers{TenantID: f.tenant, Status: user.StatusDeactivated})
	if err != nil || len(page.Users) != 1 || page.Users[0].ID != ids[1] {
		f.t.Errorf("deactivated = %+v, %v", page, err)
	}
	page, err = f.list.Handle(f.ctx, query.ListUsers{TenantID: f.tenant, Email: "C@example.com"})
	if err != nil || len(page.Users) != 1 || page.Users[0].ID != ids[2] {
		f.t.Errorf("by e-mail = %+v, %v", page, err)
	}
	_, err = f.list.Handle(f.ctx, query.ListUsers{TenantID: f.tenant, After: "not-a-cursor"})
	f.wantErr("a cursor the service did not issue", err, query.ErrInvalidQuery)
}

// pagedIDs lists the tenant's users size at a time, following the cursor,
// and returns their ids in the order read.
func (f *usersFixture) pagedIDs(size int) []user.ID {
	var seen []user.ID
	page := query.UserPage{}
	for i := 0; i == 0 || page.NextCursor != ""; i++ {
		var err error
		page, err = f.list.Handle(f.ctx, query.ListUsers{TenantID: f.tenant, Limit: size, After: page.NextCursor})
		if err != nil || i > 10 {
			f.t.Fatalf("page %d: %+v, %v", i, page, err)
		}
		for _, u := range page.Users {
			seen = append(seen, u.ID)
		}
	}
	return seen
}
