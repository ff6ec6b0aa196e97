package postgres

import (
	"errors"
	"fmt"
	"testing"

	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/app/query"
	"github.com/userservice/userservice/domain/user"
)

func TestListUsersPagesInStableOrderWithFilters(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 50)
	var ids []user.ID
	for i := range 7 {
		res := f.register(fmt.Sprintf("u%d@example.com", i))
		ids = append(ids, res.User.ID)
		dept := "Sales"
		if i%2 == 0 {
			dept = "R&D"
		}
		_, err := f.upd.Handle(f.ctx, command.UpdateUser{Envelope: f.env(), UserID: res.User.ID,
			Patch: user.Patch{Department: &dept, ExternalID: ptr(fmt.Sprintf("E%d", i))}})
		must(t, err)
	}
	_, err := f.deact.Handle(f.ctx, command.DeactivateUser{Envelope: f.env(), UserID: ids[0]})
	must(t, err)
	users := NewUsers(f.pool)

	var seen []user.ID
	q := query.ListUsers{TenantID: f.tenant, Limit: 3}
	for {
		page, err := users.ListUsers(f.ctx, q)
		must(t, err)
		for _, u := range page.Users {
			seen = append(seen, u.ID)
		}
		if page.NextCursor == "" {
			break
		}
		q.After = page.NextCursor
	}
	if fmt.Sprint(seen) != fmt.Sprint(ids) {
		t.Fatalf("paged ids = %v, want creation order %v", seen, ids)
	}

	for name, tc := range map[string]struct {
		q    query.ListUsers
		want int
	}{
		"department":  {query.ListUsers{Department: "R&D"}, 4},
		"status":      {query.ListUsers{Status: user.StatusDeactivated}, 1},
		"email":       {query.ListUsers{Email: "u3@example.com"}, 1},
		"external id": {query.ListUsers{ExternalID: "E5"}, 1},
		"combined":    {query.ListUsers{Department: "R&D", Status: user.StatusActive}, 3},
	} {
		tc.q.TenantID, tc.q.Limit = f.tenant, 50
		page, err := users.ListUsers(f.ctx, tc.q)
		if err != nil || len(page.Users) != tc.want {
			t.Errorf("%s: %d users, err %v; want %d", name, len(page.Users), err, tc.want)
		}
	}
	if _, err := users.ListUsers(f.ctx, query.ListUsers{TenantID: f.tenant, Limit: 3, After: "not-a-cursor"}); !errors.Is(err, query.ErrInvalidQuery) {
		t.Fatalf("bad cursor: err = %v, want ErrInvalidQuery", err)
	}
}

func TestStreamEventsOldestFirstWithMetadata(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 5)
	res := f.register("hist@example.com")
	env := f.env()
	_, err := f.upd.Handle(f.ctx, command.UpdateUser{Envelope: env, UserID: res.User.ID, Patch: user.Patch{Title: ptr("CEO")}})
	must(t, err)
	events, err := NewUsers(f.pool).StreamEvents(f.ctx, f.tenant, res.User.ID)
	must(t, err)
	if len(events) != 2 || events[0].Type != user.TypeRegistered || events[1].Type != user.TypeProfileChanged ||
		events[1].Version != 2 || events[1].CausationID != env.CommandID || events[1].CorrelationID != env.CorrelationID {
		t.Fatalf("events = %+v", events)
	}
	if string(events[1].Data) != `{"changes": {"title": {"new": "CEO", "old": ""}}}` {
		t.Fatalf("data = %s", events[1].Data)
	}
	if other, err := NewUsers(f.pool).StreamEvents(f.ctx, "00000000-0000-0000-0000-000000000000", res.User.ID); err != nil || len(other) != 0 {
		t.Fatalf("another tenant read %d events (err %v)", len(other), err)
	}
}
