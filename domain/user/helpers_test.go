package user_test

import (
	"errors"
	"reflect"
	"testing"
	_ "time/tzdata" // time-zone rules must not depend on the host's zoneinfo files

	"github.com/userservice/userservice/domain/user"
)

const tenant = "tenant-42"

// The reporting line used across the tests is A -> B -> C (A reports to B,
// B reports to C); D is a member without a manager; self is the subject of
// most tests and reports to boss.
var (
	selfID  = mustParseID("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b")
	bossID  = mustParseID("0190a1b2-c3d4-7e5f-8a9b-00000000b055")
	otherID = mustParseID("0190a1b2-c3d4-7e5f-8a9b-0000000000c0")
	aID     = mustParseID("0190a1b2-c3d4-7e5f-8a9b-00000000000a")
	bID     = mustParseID("0190a1b2-c3d4-7e5f-8a9b-00000000000b")
	cID     = mustParseID("0190a1b2-c3d4-7e5f-8a9b-00000000000c")
	dID     = mustParseID("0190a1b2-c3d4-7e5f-8a9b-00000000000d")
	strayID = mustParseID("0190a1b2-c3d4-7e5f-8a9b-0000000000ff")
)

var errReadModel = errors.New("read model unavailable")

func mustParseID(s string) user.ID {
	id, err := user.ParseID(s)
	if err != nil {
		panic(err)
	}
	return id
}

func ptr[T any](v T) *T { return &v }

func minimalProfile() user.Profile { return user.Profile{GivenName: "Ada", FamilyName: "Lovelace"} }

func fullProfile() user.Profile {
	return user.Profile{
		GivenName: "Ada", FamilyName: "Lovelace", DisplayName: "Ada Lovelace",
		Department: "Analytical Engines", Title: "Countess", ManagerID: bossID.String(),
		ExternalID: "HR-1815", Locale: "en-GB", TimeZone: "Europe/London",
	}
}

// orgChart is an in-memory tenant for ManagerLookup: member -> manager (the
// zero ID: none). It records every lookup so tests can assert on reads.
type orgChart struct {
	managerOf map[user.ID]user.ID
	asked     []user.ID
}

func newOrgChart() *orgChart {
	return &orgChart{managerOf: map[user.ID]user.ID{
		selfID: bossID, bossID: {}, otherID: {},
		aID: bID, bID: cID, cID: {}, dID: {},
	}}
}

// lookup returns the managers above id, nearest first, as the domain documents.
func (o *orgChart) lookup(id user.ID) ([]user.ID, error) {
	o.asked = append(o.asked, id)
	if _, ok := o.managerOf[id]; !ok {
		return nil, user.ErrManagerNotFound
	}
	var chain []user.ID
	for m := o.managerOf[id]; !m.IsZero() && len(chain) <= len(o.managerOf); m = o.managerOf[m] {
		chain = append(chain, m)
	}
	return chain, nil
}

// noLookup fails the test when the domain reads a manager: validation errors
// and unchanged managers must not cost a read-model query.
func noLookup(t *testing.T) user.ManagerLookup {
	return func(id user.ID) ([]user.ID, error) {
		t.Errorf("unexpected manager lookup of %s", id)
		return nil, nil
	}
}

// existing rebuilds a user from a Registered event plus more, independently of
// Register's rules, so Update tests start from an exact state.
func existing(t *testing.T, id user.ID, email string, p user.Profile, more ...user.Event) *user.User {
	t.Helper()
	history := append([]user.Event{user.Registered{TenantID: tenant, Email: email, Profile: p}}, more...)
	u, err := user.FromHistory(id, history)
	if err != nil {
		t.Fatalf("FromHistory: %v", err)
	}
	return u
}

// fieldCodes renders a *ValidationError as "field:code" in reported order.
func fieldCodes(t *testing.T, err error) []string {
	t.Helper()
	var ve *user.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error %v (%T) is not a *user.ValidationError", err, err)
	}
	codes := make([]string, len(ve.Fields))
	for i, f := range ve.Fields {
		codes[i] = f.Field + ":" + f.Code
	}
	return codes
}

// assertEvents compares decided events; nil and empty both mean "none".
func assertEvents(t *testing.T, got, want []user.Event) {
	t.Helper()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("events:\n got %#v\nwant %#v", got, want)
	}
}

func assertAsked(t *testing.T, got, want []user.ID) {
	t.Helper()
	if len(got) != len(want) || (len(want) > 0 && !reflect.DeepEqual(got, want)) {
		t.Errorf("manager lookups = %v, want %v", got, want)
	}
}
