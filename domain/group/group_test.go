package group_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/userservice/userservice/domain/group"
	"github.com/userservice/userservice/domain/user"
)

const (
	a = "0190a1b2-c3d4-7e5f-8a9b-00000000000a"
	b = "0190a1b2-c3d4-7e5f-8a9b-00000000000b"
	c = "0190a1b2-c3d4-7e5f-8a9b-00000000000c"
)

var gid = user.ID{1}

func ptr[T any](v T) *T { return &v }

func TestGroupDecideApplyAndReplay(t *testing.T) {
	events, err := group.Create("t1", "Eng", "g1", []string{a, strings.ToUpper(b), a})
	if err != nil {
		t.Fatal(err)
	}
	g, err := group.FromHistory(gid, events)
	if err != nil || !reflect.DeepEqual(g.Snapshot().Members, []string{a, b}) {
		t.Fatalf("created: %+v, %v", g, err)
	}
	// Rename, add c, remove a: three events; the same again: none.
	p := group.Patch{DisplayName: ptr("Engineering"), Add: []string{c}, Remove: []string{a}}
	more, err := g.Update(p)
	want := []user.Event{group.Changed{Changes: map[string]user.Change{"display_name": {Old: "Eng", New: "Engineering"}}},
		group.MembersAdded{Members: []string{c}}, group.MembersRemoved{Members: []string{a}}}
	if err != nil || !reflect.DeepEqual(more, want) {
		t.Fatalf("update: %#v, %v", more, err)
	}
	for _, e := range more {
		g.Apply(e)
	}
	if again, err := g.Update(p); err != nil || again != nil {
		t.Fatalf("same patch again: %#v, %v", again, err)
	}
	// Every event survives the store (JSON) and replays to the same state.
	var replayed []user.Event
	for _, e := range append(events, more...) {
		data, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		back, err := group.DecodeEvent(e.EventType(), data)
		if err != nil {
			t.Fatal(err)
		}
		replayed = append(replayed, back)
	}
	r, err := group.FromHistory(gid, replayed)
	if err != nil || !reflect.DeepEqual(r.Snapshot(), g.Snapshot()) {
		t.Fatalf("replayed %+v, want %+v (%v)", r.Snapshot(), g.Snapshot(), err)
	}
	// A deleted member goes with a reason; a non-member gives nothing.
	if got := g.RemoveDeletedUser(b); !reflect.DeepEqual(got, []user.Event{group.MembersRemoved{Members: []string{b}, Reason: group.ReasonUserDeleted}}) {
		t.Fatalf("remove deleted: %#v", got)
	}
	if got := g.RemoveDeletedUser(a); got != nil {
		t.Fatalf("remove a non-member: %#v", got)
	}
}

func TestGroupRefusesBadInput(t *testing.T) {
	var verr *user.ValidationError
	for _, tc := range []struct {
		name, display, ext string
		members            []string
	}{
		{"no name", "", "", nil},
		{"control character", "a\x00", "", nil},
		{"name too long", strings.Repeat("x", group.MaxDisplayNameLen+1), "", nil},
		{"member not an id", "x", "", []string{"bob"}},
	} {
		if _, err := group.Create("t", tc.display, tc.ext, tc.members); !errors.As(err, &verr) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	g, _ := group.FromHistory(gid, []user.Event{group.Created{TenantID: "t", DisplayName: "x"}})
	many := make([]string, group.MaxMembersPerChange+1)
	for i := range many {
		var id user.ID
		id[0], id[1], id[15] = 1, byte(i>>8), byte(i)
		many[i] = id.String()
	}
	if _, err := g.Update(group.Patch{Add: many}); !errors.As(err, &verr) {
		t.Errorf("more than %d members at once: %v", group.MaxMembersPerChange, err)
	}
	g.Apply(group.Deleted{})
	if _, err := g.Update(group.Patch{DisplayName: ptr("y")}); !errors.Is(err, group.ErrNotFound) {
		t.Errorf("update of a deleted group: %v", err)
	}
}

// TestGroupUpdateMembers: a replacement list, then additions, then
// removals, decide one MembersAdded and one MembersRemoved at most, in the
// order of the resulting list and of the group's.
func TestGroupUpdateMembers(t *testing.T) {
	g, err := group.FromHistory(gid, []user.Event{group.Created{TenantID: "t", DisplayName: "x", Members: []string{a, b}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		p    group.Patch
		want []user.Event
	}{
		{"replace", group.Patch{Members: &[]string{b, c}},
			[]user.Event{group.MembersAdded{Members: []string{c}}, group.MembersRemoved{Members: []string{a}}}},
		{"replace with none", group.Patch{Members: &[]string{}}, []user.Event{group.MembersRemoved{Members: []string{a, b}}}},
		{"add a member and remove a non-member", group.Patch{Add: []string{a}, Remove: []string{c}}, nil},
		{"replace, add and remove", group.Patch{Members: &[]string{a}, Add: []string{c}, Remove: []string{a}},
			[]user.Event{group.MembersAdded{Members: []string{c}}, group.MembersRemoved{Members: []string{a, b}}}},
	} {
		if got, err := g.Update(tc.p); err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %#v, %v; want %#v", tc.name, got, err, tc.want)
		}
	}
}
