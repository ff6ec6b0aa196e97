package user_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/userservice/userservice/domain/user"
)

// A stored v1 deactivation reads as the current type, with its reason kept
// and the cause it never recorded said to be unspecified.
func TestDeactivatedV1IsUpcastToTheCurrentVersion(t *testing.T) {
	tests := []struct {
		stored string
		want   user.Deactivated
	}{
		{`{"reason":"left the company"}`, user.Deactivated{Cause: user.CauseUnspecified, Reason: "left the company"}},
		{`{}`, user.Deactivated{Cause: user.CauseUnspecified}},
		{`{"reason":"x","by":"a field a later writer added"}`, user.Deactivated{Cause: user.CauseUnspecified, Reason: "x"}},
	}
	up := user.EventUpcasters()
	for _, tt := range tests {
		t.Run(tt.stored, func(t *testing.T) {
			typ, data, err := up.Upcast(user.TypeDeactivatedV1, []byte(tt.stored))
			if err != nil || typ != user.TypeDeactivated {
				t.Fatalf("Upcast = %q, %v; want %q", typ, err, user.TypeDeactivated)
			}
			got, err := user.DecodeEvent(typ, data)
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("decoded %s as %#v, %v; want %#v", data, got, err, tt.want)
			}
		})
	}
	if _, _, err := up.Upcast(user.TypeDeactivatedV1, []byte(`{"reason":`)); err == nil || !strings.Contains(err.Error(), user.TypeDeactivatedV1) {
		t.Fatalf("broken v1 data: err = %v, want one naming the type", err)
	}
}

// Current types pass through untouched (same bytes), so upcasting costs the
// events that need none nothing but a map lookup.
func TestCurrentTypesAreNotUpcast(t *testing.T) {
	up := user.EventUpcasters()
	for _, typ := range []string{user.TypeRegistered, user.TypeProfileChanged, user.TypeEmailChanged, user.TypeDeactivated, user.TypeReactivated} {
		data := []byte(`{"cause":"requested"}`)
		gotType, gotData, err := up.Upcast(typ, data)
		if err != nil || gotType != typ || &gotData[0] != &data[0] {
			t.Errorf("Upcast(%s) = %q, %s, %v; want it unchanged", typ, gotType, gotData, err)
		}
	}
}

func TestUpcastersFollowChainsAndRejectBadRegistrations(t *testing.T) {
	add := func(suffix string) func([]byte) ([]byte, error) {
		return func(b []byte) ([]byte, error) { return append(append([]byte{}, b...), suffix...), nil }
	}
	up, err := user.NewUpcasters(
		user.Upcaster{From: "x.v1", To: "x.v2", Convert: add("2")},
		user.Upcaster{From: "x.v2", To: "x.v3", Convert: add("3")},
	)
	if err != nil {
		t.Fatal(err)
	}
	if typ, data, err := up.Upcast("x.v1", []byte("1")); typ != "x.v3" || string(data) != "123" || err != nil {
		t.Fatalf("chain: %q %q %v, want x.v3 123", typ, data, err)
	}
	failing := user.Upcaster{From: "y.v1", To: "y.v2", Convert: func([]byte) ([]byte, error) { return nil, errors.New("boom") }}
	up, err = user.NewUpcasters(failing)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := up.Upcast("y.v1", nil); err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("failing upcaster: err = %v", err)
	}
	for name, list := range map[string][]user.Upcaster{
		"incomplete":    {{From: "a.v1", To: "a.v2"}},
		"to itself":     {{From: "a.v1", To: "a.v1", Convert: add("")}},
		"two from one":  {{From: "a.v1", To: "a.v2", Convert: add("")}, {From: "a.v1", To: "a.v3", Convert: add("")}},
		"loop":          {{From: "a.v1", To: "a.v2", Convert: add("")}, {From: "a.v2", To: "a.v1", Convert: add("")}},
		"no From or To": {{Convert: add("")}},
	} {
		if _, err := user.NewUpcasters(list...); err == nil {
			t.Errorf("%s: NewUpcasters accepted it", name)
		}
	}
}
