package user_test

import (
	"errors"
	"testing"

	"github.com/userservice/userservice/domain/user"
)

func TestDeactivateReactivate(t *testing.T) {
	tests := []struct {
		name       string
		start      user.Status
		command    func(*user.User) ([]user.Event, error)
		want       []user.Event
		wantSeats  int
		wantStatus user.Status
	}{
		{"deactivate active user", user.StatusActive, func(u *user.User) ([]user.Event, error) { return u.Deactivate("left the company") },
			[]user.Event{user.Deactivated{Cause: user.CauseRequested, Reason: "left the company"}}, -1, user.StatusDeactivated},
		{"deactivate without reason", user.StatusActive, func(u *user.User) ([]user.Event, error) { return u.Deactivate("") },
			[]user.Event{user.Deactivated{Cause: user.CauseRequested}}, -1, user.StatusDeactivated},
		{"deactivate deactivated user is a no-op", user.StatusDeactivated, func(u *user.User) ([]user.Event, error) { return u.Deactivate("again") },
			nil, 0, user.StatusDeactivated},
		{"reactivate deactivated user", user.StatusDeactivated, func(u *user.User) ([]user.Event, error) { return u.Reactivate() },
			[]user.Event{user.Reactivated{}}, 1, user.StatusActive},
		{"reactivate active user is a no-op", user.StatusActive, func(u *user.User) ([]user.Event, error) { return u.Reactivate() },
			nil, 0, user.StatusActive},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var more []user.Event
			if tt.start == user.StatusDeactivated {
				more = append(more, user.Deactivated{Reason: "setup"})
			}
			u := existing(t, selfID, "ada@example.com", minimalProfile(), more...)
			version := u.Version()

			got, err := tt.command(u)
			if err != nil {
				t.Fatalf("command: %v", err)
			}
			if tt.want == nil && got != nil {
				t.Errorf("events = %#v, want nil", got)
			}
			assertEvents(t, got, tt.want)
			if u.Status() != tt.start || u.Version() != version {
				t.Errorf("deciding changed the state: status %s version %d", u.Status(), u.Version())
			}
			if d := user.SeatDelta(tt.start, got); d != tt.wantSeats {
				t.Errorf("SeatDelta = %d, want %d", d, tt.wantSeats)
			}
			for _, e := range got {
				u.Apply(e)
			}
			if u.Status() != tt.wantStatus || u.Version() != version+len(got) {
				t.Errorf("after apply: status %s version %d, want %s %d", u.Status(), u.Version(), tt.wantStatus, version+len(got))
			}
			if again, err := tt.command(u); again != nil || err != nil {
				t.Errorf("repeating the command decided %#v, %v; want nil, nil", again, err)
			}
		})
	}
}

func TestSeatDelta(t *testing.T) {
	reg := user.Registered{TenantID: tenant, Email: "a@b.co", Profile: minimalProfile()}
	tests := []struct {
		name   string
		from   user.Status
		events []user.Event
		want   int
	}{
		{"no events", user.StatusActive, nil, 0},
		{"registered", "", []user.Event{reg}, 1},
		{"registered as deactivated", "", []user.Event{reg, user.Deactivated{}}, 0},
		{"deactivated", user.StatusActive, []user.Event{user.Deactivated{}}, -1},
		{"reactivated", user.StatusDeactivated, []user.Event{user.Reactivated{}}, 1},
		{"profile and email changes take no seat", user.StatusActive, []user.Event{user.ProfileChanged{}, user.EmailChanged{}}, 0},
		{"round trip", user.StatusActive, []user.Event{user.Deactivated{}, user.Reactivated{}}, 0},
		{"deleting an active user frees the seat", user.StatusActive, []user.Event{user.Deleted{}}, -1},
		{"deleting a deactivated user frees nothing", user.StatusDeactivated, []user.Event{user.Deleted{}}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := user.SeatDelta(tt.from, tt.events); got != tt.want {
				t.Errorf("SeatDelta = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestDelete(t *testing.T) {
	for _, start := range []user.Status{user.StatusActive, user.StatusDeactivated} {
		t.Run(string(start), func(t *testing.T) {
			var more []user.Event
			if start == user.StatusDeactivated {
				more = append(more, user.Deactivated{Reason: "setup"})
			}
			u := existing(t, selfID, "ada@example.com", minimalProfile(), more...)
			got, err := u.Delete("left")
			if err != nil {
				t.Fatalf("Delete: %v", err)
			}
			assertEvents(t, got, []user.Event{user.Deleted{Reason: "left"}})
			u.Apply(got[0])
			if u.Status() != user.StatusDeleted {
				t.Fatalf("status = %s, want deleted", u.Status())
			}
			// Every command on a deleted user is refused as not found.
			email := "new@example.com"
			refusals := map[string]func() ([]user.Event, error){
				"delete again": func() ([]user.Event, error) { return u.Delete("") },
				"deactivate":   func() ([]user.Event, error) { return u.Deactivate("") },
				"reactivate":   u.Reactivate,
				"update":       func() ([]user.Event, error) { return u.Update(user.Patch{Email: &email}, nil) },
			}
			for name, cmd := range refusals {
				events, err := cmd()
				if events != nil || !errors.Is(err, user.ErrDeleted) || !errors.Is(err, user.ErrNotFound) {
					t.Errorf("%s on a deleted user = %#v, %v; want ErrDeleted (a not found)", name, events, err)
				}
			}
		})
	}
}
