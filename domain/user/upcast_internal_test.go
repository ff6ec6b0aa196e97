package user

import "testing"

// EventUpcasters builds its registry directly (it cannot fail at run time);
// this proves the same list passes NewUpcasters' checks.
func TestEventUpcastersPassRegistrationChecks(t *testing.T) {
	list := make([]Upcaster, 0, len(EventUpcasters().byFrom))
	for _, c := range EventUpcasters().byFrom {
		list = append(list, c)
	}
	if _, err := NewUpcasters(list...); err != nil {
		t.Fatal(err)
	}
	for from, c := range EventUpcasters().byFrom {
		if c.From != from {
			t.Errorf("registered under %q but from %q", from, c.From)
		}
	}
}
