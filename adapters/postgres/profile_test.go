package postgres

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/userservice/userservice/adapters/projection"
	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/domain/user"
)

// A user stored entirely in the old shapes (user.registered.v1,
// user.profile_changed.v1), with the read-model row the old code wrote,
// replays into the new shape with no difference, and takes the new fields.
func TestStoredV1ProfileReplaysIntoTheNewShape(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 10)
	id := user.ID(uuid.Must(uuid.NewV7()))
	now := time.Now().UTC().Truncate(time.Microsecond)
	for i, e := range []struct{ typ, data string }{
		{user.TypeRegisteredV1, `{"tenant_id":"` + f.tenant + `","email":"old@example.com","given_name":"Ada","family_name":"Lovelace"}`},
		{user.TypeProfileChangedV1, `{"changes":{"title":{"old":"","new":"Countess"}}}`},
		{user.TypeEmailChanged, `{"old_email":"old@example.com","new_email":"new@example.com"}`},
	} {
		_, err := f.pool.Exec(f.ctx, `INSERT INTO events (event_id, stream_id, tenant_id, version, type, data, occurred_at,
			command_id, correlation_id, actor, source) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, '', 'test', 'api')`,
			uuid.NewString(), id, f.tenant, i+1, e.typ, e.data, now, uuid.NewString())
		must(t, err)
	}
	// The row as the code before migration 00020 wrote it: no username, no attributes.
	_, err := f.pool.Exec(f.ctx, `INSERT INTO users (id, tenant_id, email, given_name, family_name, title, status, version,
		created_at, updated_at) VALUES ($1, $2, 'new@example.com', 'Ada', 'Lovelace', 'Countess', 'active', 3, $3, $3)`, id, f.tenant, now)
	must(t, err)
	_, err = f.pool.Exec(f.ctx, `UPDATE tenants SET seats_used = seats_used + 1 WHERE id = $1`, f.tenant)
	must(t, err)

	res, err := f.rebuild(f.ctx, projection.RebuildConfig{})
	must(t, err)
	if len(res.Differences) != 0 {
		t.Fatalf("replay of the old shapes found %+v, want the row as it was", res.Differences)
	}
	got, err := NewUsers(f.pool).GetUser(f.ctx, f.tenant, id)
	must(t, err)
	if got.UserName() != "new@example.com" || got.Username != "" || got.Title != "Countess" ||
		!reflect.DeepEqual(got.Emails, []user.Email{{Value: "new@example.com", Primary: true}}) {
		t.Fatalf("read after replay: %+v", got)
	}

	// The new fields, through the unit of work, into the read model and back.
	emails := []user.Email{{Value: "new@example.com", Type: "work"}, {Value: "ada@home.example", Type: "home"}}
	phones := []user.PhoneNumber{{Value: "+44 20 7946 0000", Type: "work", Primary: true}}
	addrs := []user.Address{{Type: "work", StreetAddress: "1 Main St\nFloor 2", Locality: "London", Country: "GB"}}
	upd, err := f.upd.Handle(f.ctx, command.UpdateUser{Envelope: f.env(), UserID: id, Patch: user.Patch{
		Username: ptr("ada.lovelace"), NickName: ptr("Ada"), EmployeeNumber: ptr("1815"), CostCenter: ptr("CC1"),
		Organization: ptr("Engines Ltd"), Division: ptr("R&D"), PreferredLanguage: ptr("en-GB"), GivenName: ptr(""),
		Emails: &emails, PhoneNumbers: &phones, Addresses: &addrs,
	}})
	must(t, err)
	if !upd.Changed || upd.User.Version != 4 {
		t.Fatalf("update: %+v", upd)
	}
	got, err = NewUsers(f.pool).GetUser(f.ctx, f.tenant, id)
	must(t, err)
	if !reflect.DeepEqual(got, upd.User) {
		t.Fatalf("read model:\n got %+v\nwant %+v", got, upd.User)
	}
	if got.UserName() != "ada.lovelace" || got.GivenName != "" || len(got.Emails) != 2 || !got.Emails[0].Primary ||
		got.Addresses[0].StreetAddress != "1 Main St\nFloor 2" {
		t.Fatalf("read model: %+v", got)
	}
	// A rebuild from the events gives the same row.
	res, err = f.rebuild(f.ctx, projection.RebuildConfig{})
	must(t, err)
	if len(res.Differences) != 0 {
		t.Fatalf("replay after the new fields found %+v", res.Differences)
	}
	history, err := NewUsers(f.pool).StreamEvents(f.ctx, f.tenant, id)
	must(t, err)
	if history[0].Type != user.TypeRegistered || history[1].Type != user.TypeProfileChanged || history[3].Type != user.TypeProfileChanged {
		t.Fatalf("history types: %v %v %v", history[0].Type, history[1].Type, history[3].Type)
	}
}

// Usernames are unique per tenant without regard to case, an unset one
// being the primary address; a deleted user frees theirs.
func TestUsernameIsUniqueInTheTenant(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 10)
	a := f.register("ada@example.com")
	_, err := f.reg.Handle(f.ctx, command.RegisterUser{Envelope: f.env(), Registration: user.Registration{
		Email: "other@example.com", Profile: user.Profile{Username: "ADA@example.com"}}})
	if !errors.Is(err, user.ErrUsernameTaken) {
		t.Fatalf("username equal to another's address: err = %v, want ErrUsernameTaken", err)
	}
	b, err := f.reg.Handle(f.ctx, command.RegisterUser{Envelope: f.env(), Registration: user.Registration{
		Email: "bob@example.com", Profile: user.Profile{Username: "Bob"}}})
	must(t, err)
	_, err = f.upd.Handle(f.ctx, command.UpdateUser{Envelope: f.env(), UserID: a.User.ID, Patch: user.Patch{Username: ptr("bob")}})
	if !errors.Is(err, user.ErrUsernameTaken) {
		t.Fatalf("update to another's username: err = %v, want ErrUsernameTaken", err)
	}
	_, err = f.del.Handle(f.ctx, command.DeleteUser{Envelope: f.env(), UserID: b.User.ID})
	must(t, err)
	_, err = f.upd.Handle(f.ctx, command.UpdateUser{Envelope: f.env(), UserID: a.User.ID, Patch: user.Patch{Username: ptr("bob")}})
	must(t, err)
	// Another tenant may have the same username.
	g := newFixture(t, 10)
	_, err = g.reg.Handle(g.ctx, command.RegisterUser{Envelope: g.env(), Registration: user.Registration{
		Email: "x@example.com", Profile: user.Profile{Username: "bob"}}})
	must(t, err)
}
