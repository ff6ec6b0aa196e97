package user_test

import (
	"testing"

	"github.com/userservice/userservice/domain/user"
)

func TestDeactivateReactivate(t *testing.T) {
	tests := []struct {
		name       string
		start      user.Status
		command    func(*user.User) []user.Event
		want       []user.Event
		wantSeats  int
		wantStatus user.Status
	}{
		{"deactivate active user", user.StatusActive, func(u *user.User) []user.Event { return u.Deactivate("left the company") },
			[]user.Event{user.Deactivated{Cause: user.CauseRequested, Reason: "left the company"}}, -1, user.StatusDeactivated},
		{"deactivate without reason", user.StatusActive, func(u *user.User) []user.Event { return u.Deactivate("") },
			[]user.Event{user.Deactivated{Cause: user.CauseRequested}}, -1, user.StatusDeactivated},
		{"deactivate deactivated user is a no-op", user.StatusDeactivated, func(u *user.User) []user.Event { return u.Deactivate("again") },
			nil, 0, user.StatusDeactivated},
		{"reactivate deactivated user", user.StatusDeactivated, func(u *user.User) []user.Event { return u.Reactivate() },
			[]user.Event{user.Reactivated{}}, 1, user.StatusActive},
		{"reactivate active user is a no-op", user.StatusActive, func(u *user.User) []user.Event { return u.Reactivate() },
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

			got := tt.command(u)
			if tt.want == nil && got != nil {
				t.Errorf("events = %#v, want nil", got)
			}
			assertEvents(t, got, tt.want)
			if u.Status() != tt.start || u.Version() != version {
				t.Errorf("deciding changed the state: status %s version %d", u.Status(), u.Version())
			}
			if d := user.SeatDelta(got); d != tt.wantSeats {
				t.Errorf("SeatDelta = %d, want %d", d, tt.wantSeats)
			}
			for _, e := range got {
				u.Apply(e)
			}
			if u.Status() != tt.wantStatus || u.Version() != version+len(got) {
				t.Errorf("after apply: status %s version %d, want %s %d", u.Status(), u.Version(), tt.wantStatus, version+len(got))
			}
			if again := tt.command(u); again != nil {
				t.Errorf("repeating the command decided %#v, want nil", again)
			}
		})
	}
}

func TestSeatDelta(t *testing.T) {
	reg := user.Registered{TenantID: tenant, Email: "a@b.co", Profile: minimalProfile()}
	tests := []struct {
		name   string
		events []user.Event
		want   int
	}{
		{"no events", nil, 0},
		{"registered", []user.Event{reg}, 1},
		{"registered as deactivated", []user.Event{reg, user.Deactivated{}}, 0},
		{"deactivated", []user.Event{user.Deactivated{}}, -1},
		{"reactivated", []user.Event{user.Reactivated{}}, 1},
		{"profile and email changes take no seat", []user.Event{user.ProfileChanged{}, user.EmailChanged{}}, 0},
		{"two registrations and a deactivation", []user.Event{reg, reg, user.Deactivated{}, user.EmailChanged{}}, 1},
		{"round trip", []user.Event{user.Deactivated{}, user.Reactivated{}}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := user.SeatDelta(tt.events); got != tt.want {
				t.Errorf("SeatDelta = %d, want %d", got, tt.want)
			}
		})
	}
}
