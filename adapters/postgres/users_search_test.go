package postgres

import (
	"testing"

	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/app/query"
	"github.com/userservice/userservice/domain/user"
)

// TestSearchUsers: typed filters run as parameterised SQL, in creation order,
// with a total; deleted users and other tenants' users are never found.
func TestSearchUsers(t *testing.T) {
	t.Parallel()
	f, other := newFixture(t, 10), newFixture(t, 10)
	a := f.register("ada@example.com").User.ID
	b := f.register("bob@example.com").User.ID
	gone := f.register("gone@example.com").User.ID
	if _, err := f.del.Handle(f.ctx, command.DeleteUser{Envelope: f.env(), UserID: gone}); err != nil {
		t.Fatal(err)
	}
	theirs := other.register("ada2@example.com").User.ID
	users := NewUsers(f.pool)
	search := func(filter query.Filter, offset, limit int) query.SearchResult {
		t.Helper()
		res, err := users.SearchUsers(f.ctx, query.SearchUsers{TenantID: f.tenant, Filter: filter, Offset: offset, Limit: limit})
		if err != nil {
			t.Fatalf("search %#v: %v", filter, err)
		}
		return res
	}
	ids := func(res query.SearchResult) []user.ID {
		out := make([]user.ID, len(res.Users))
		for i, u := range res.Users {
			out[i] = u.ID
		}
		return out
	}
	if res := search(nil, 0, 10); res.Total != 2 || len(res.Users) != 2 || res.Users[0].ID != a || res.Users[1].ID != b ||
		res.Users[0].Created.IsZero() || res.Users[0].LastModified.Before(res.Users[0].Created) {
		t.Fatalf("all: %+v", res)
	}
	if res := search(nil, 1, 10); res.Total != 2 || len(res.Users) != 1 || res.Users[0].ID != b {
		t.Fatalf("offset 1: %+v", ids(res))
	}
	if res := search(nil, 0, 0); res.Total != 2 || len(res.Users) != 0 {
		t.Fatalf("total only: %+v", res)
	}
	cases := []struct {
		name   string
		filter query.Filter
		want   int
	}{
		{"deleted users are never found", query.Compare{Attr: query.AttrEmail, Op: query.OpEq, Value: "gone@example.com", IgnoreCase: true}, 0},
		{"by the deleted id neither", query.Compare{Attr: query.AttrID, Op: query.OpEq, Value: gone.String()}, 0},
		{"another tenant's user is not found by id", query.Compare{Attr: query.AttrID, Op: query.OpEq, Value: theirs.String()}, 0},
		{"nor by e-mail", query.Compare{Attr: query.AttrEmail, Op: query.OpEq, Value: "ada2@example.com", IgnoreCase: true}, 0},
		{"case-insensitive e-mail", query.Compare{Attr: query.AttrEmail, Op: query.OpEq, Value: "ADA@EXAMPLE.COM", IgnoreCase: true}, 1},
		{"case-sensitive comparison", query.Compare{Attr: query.AttrGivenName, Op: query.OpEq, Value: "grace"}, 0},
		{"injection attempt is a value", query.Compare{Attr: query.AttrEmail, Op: query.OpEq, Value: "x' OR '1'='1", IgnoreCase: true}, 0},
		{"LIKE wildcards are literal", query.Compare{Attr: query.AttrEmail, Op: query.OpContains, Value: "%"}, 0},
		{"ends with", query.Compare{Attr: query.AttrEmail, Op: query.OpEndsWith, Value: "b@example.com"}, 1},
		{"an unset external id is present nowhere", query.Present{Attr: query.AttrExternalID}, 0},
		{"and an unset one is ne anything", query.Compare{Attr: query.AttrExternalID, Op: query.OpNe, Value: "E"}, 2},
		{"not", query.Not{Inner: query.Compare{Attr: query.AttrID, Op: query.OpEq, Value: a.String()}}, 1},
		{"or of constants", query.Or{Left: query.Const(false), Right: query.Const(true)}, 2},
	}
	for _, c := range cases {
		if res := search(c.filter, 0, 10); res.Total != c.want || len(res.Users) != c.want {
			t.Errorf("%s: %d found (total %d), want %d", c.name, len(res.Users), res.Total, c.want)
		}
	}
}
