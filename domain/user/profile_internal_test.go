package user

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// TestProfileFieldsCoverEveryField guards change detection: a Profile field
// missing from profileFields would never appear in a diff nor be applied, and
// a name differing from the JSON tag would not match the API's field names.
func TestProfileFieldsCoverEveryField(t *testing.T) {
	typ := reflect.TypeFor[Profile]()
	if typ.NumField() != len(profileFields) {
		t.Fatalf("Profile has %d fields, profileFields lists %d", typ.NumField(), len(profileFields))
	}
	for i := range typ.NumField() {
		sf := typ.Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		t.Run(name, func(t *testing.T) {
			var changedP Profile
			reflect.ValueOf(&changedP).Elem().Field(i).SetString("new")
			want := map[string]Change{name: {Old: "", New: "new"}}
			if got := (Profile{}).diff(changedP); !reflect.DeepEqual(got, want) {
				t.Errorf("diff = %v, want %v", got, want)
			}
			if got := (Profile{}).with(want); got != changedP {
				t.Errorf("with = %+v, want %+v", got, changedP)
			}
		})
	}
}

func TestDiffThenWithRoundTrips(t *testing.T) {
	a := Profile{GivenName: "Ada", FamilyName: "Lovelace", Title: "Countess", Locale: "en-GB"}
	b := Profile{GivenName: "Ada", FamilyName: "King", DisplayName: "Ada King", Locale: "en"}
	for _, tt := range []struct{ from, to Profile }{{a, b}, {b, a}, {a, a}, {Profile{}, a}, {a, Profile{}}} {
		if got := tt.from.with(tt.from.diff(tt.to)); got != tt.to {
			t.Errorf("%+v.with(diff(%+v)) = %+v", tt.from, tt.to, got)
		}
	}
	if d := a.diff(a); d != nil {
		t.Errorf("diff of equal profiles = %v, want nil", d)
	}
}

// checkManager re-parses the manager id although validate has rejected a
// malformed one; the guard must fail closed without a lookup.
func TestCheckManagerRejectsMalformedIDWithoutLookup(t *testing.T) {
	lookup := func(ID) ([]ID, error) {
		t.Error("lookup called for a malformed id")
		return nil, nil
	}
	if err := checkManager(ID{1}, "not-a-uuid", lookup); !errors.Is(err, ErrInvalidID) {
		t.Errorf("checkManager = %v, want ErrInvalidID", err)
	}
}
