package user_test

import (
	"reflect"
	"testing"

	"github.com/userservice/userservice/domain/user"
)

// Applying the rest of a stream to a restored snapshot must give what
// folding the whole stream gives: the users read model relies on it.
func TestRestoreThenApplyEqualsFoldingTheWholeStream(t *testing.T) {
	history := []user.Event{
		user.Registered{TenantID: "t1", Email: "ada@example.com", Profile: user.Profile{GivenName: "Ada", FamilyName: "L"}},
		user.ProfileChanged{Changes: map[string]user.Change{user.FieldTitle: {Old: "", New: "CTO"}}},
		user.EmailChanged{OldEmail: "ada@example.com", NewEmail: "ada@lovelace.example"},
		user.Deactivated{Reason: "left"},
		user.Reactivated{},
	}
	whole, err := user.FromHistory(selfID, history)
	if err != nil {
		t.Fatal(err)
	}
	for cut := 1; cut < len(history); cut++ {
		head, err := user.FromHistory(selfID, history[:cut])
		if err != nil {
			t.Fatal(err)
		}
		restored := user.Restore(head.Snapshot())
		for _, e := range history[cut:] {
			restored.Apply(e)
		}
		if got, want := restored.Snapshot(), whole.Snapshot(); !reflect.DeepEqual(got, want) {
			t.Fatalf("restored at %d then applied: %+v, want %+v", cut, got, want)
		}
	}
}
