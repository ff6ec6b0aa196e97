package user_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/userservice/userservice/domain/user"
)

// The erasure's basis is held to the text rules: counted in characters, and
// no control characters (a NUL cannot be stored in the event).
func TestEraseBasisIsText(t *testing.T) {
	id := mustParseID("01a24f26-4874-774b-9c94-c78aaca065d6")
	u, err := user.FromHistory(id, []user.Event{user.Registered{TenantID: "t", Email: "ada@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	for name, basis := range map[string]string{"NUL": "gdpr\x00", "65 characters": strings.Repeat("a", 65), "white space": " gdpr"} {
		var verr *user.ValidationError
		if _, err := u.Erase(basis); !errors.As(err, &verr) {
			t.Errorf("%s: err = %v, want a ValidationError", name, err)
		}
	}
	for _, basis := range []string{"", "gdpr_art17", strings.Repeat("é", 64)} {
		if got, err := u.Erase(basis); err != nil || len(got) != 1 {
			t.Errorf("Erase(%q) = %v, %v; want one event", basis, got, err)
		}
	}
}
