package postgres

import (
	"errors"
	"testing"

	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/domain/user"
)

// TestDeletionFreesSeatEmailAndExternalID: deleting writes one event (and
// one outbox row), frees the seat of an active user, hides the user from
// reads, lets a new user take the e-mail and external id, keeps the reports'
// manager reference valid and refuses the deleted user as a new manager.
func TestDeletionFreesSeatEmailAndExternalID(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 2)
	boss := f.register("boss@example.com").User.ID
	res, err := f.reg.Handle(f.ctx, command.RegisterUser{Envelope: f.env(), Registration: user.Registration{
		Email: "report@example.com", Profile: user.Profile{GivenName: "Re", FamilyName: "Port", ManagerID: boss.String()}}})
	must(t, err)
	report := res.User.ID
	if _, err := f.upd.Handle(f.ctx, command.UpdateUser{Envelope: f.env(), UserID: boss, Patch: user.Patch{ExternalID: ptr("EMP-1")}}); err != nil {
		t.Fatal(err)
	}
	before := f.counts()

	del, err := f.del.Handle(f.ctx, command.DeleteUser{Envelope: f.env(), UserID: boss, Reason: "left"})
	if err != nil || !del.Changed || del.User.Status != user.StatusDeleted || del.User.Version != 3 {
		t.Fatalf("delete: %+v, %v", del, err)
	}
	after := f.counts()
	if after.seats != before.seats-1 || after.events != before.events+1 || after.outbox != before.outbox+1 || after.users != before.users {
		t.Fatalf("counts %+v -> %+v: want one event and outbox row, one seat freed, the row kept", before, after)
	}
	users := NewUsers(f.pool)
	if _, err := users.GetUser(f.ctx, f.tenant, boss); !errors.Is(err, user.ErrNotFound) {
		t.Fatalf("GetUser of a deleted user: %v", err)
	}
	if _, err := f.del.Handle(f.ctx, command.DeleteUser{Envelope: f.env(), UserID: boss}); !errors.Is(err, user.ErrDeleted) {
		t.Fatalf("second delete: %v, want ErrDeleted", err)
	}
	// The freed seat, e-mail and external id go to a new user.
	res, err = f.reg.Handle(f.ctx, command.RegisterUser{Envelope: f.env(), Registration: user.Registration{
		Email: "boss@example.com", Profile: user.Profile{GivenName: "New", FamilyName: "Boss", ExternalID: "EMP-1"}}})
	if err != nil {
		t.Fatalf("re-using the deleted user's e-mail and external id: %v", err)
	}
	// The report still names the deleted manager, but nobody can be given them.
	if got, err := users.GetUser(f.ctx, f.tenant, report); err != nil || got.ManagerID != boss.String() {
		t.Fatalf("report: %+v, %v", got, err)
	}
	if _, err := f.upd.Handle(f.ctx, command.UpdateUser{Envelope: f.env(), UserID: res.User.ID,
		Patch: user.Patch{ManagerID: ptr(boss.String())}}); !errors.Is(err, user.ErrManagerNotFound) {
		t.Fatalf("a deleted user as manager: %v, want ErrManagerNotFound", err)
	}
}
