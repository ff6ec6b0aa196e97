package user_test

import (
	"strings"
	"testing"

	"github.com/userservice/userservice/domain/user"
)

// Regression tests for defects found by review of the domain and fixed.

// Invalid UTF-8 in an e-mail address is accepted and silently rewritten:
// NormalizeEmail's strings.ToLower replaces each invalid byte with U+FFFD
// before validateEmail looks at the address, and net/mail accepts U+FFFD.
func TestRegressionEmailWithInvalidUTF8IsRejected(t *testing.T) {
	for _, raw := range []string{"a\xff@example.com", "ADA\xc3@EXAMPLE.COM"} {
		reg := user.Registration{Email: raw, Profile: minimalProfile()}
		events, err := user.Register(selfID, tenant, reg, noLookup(t))
		if err == nil {
			t.Fatalf("Register(%q) accepted as %q",
				raw, events[0].(user.Registered).Email)
		}
		if codes := fieldCodes(t, err); len(codes) != 1 || !strings.HasPrefix(codes[0], "email:") {
			t.Errorf("Register(%q) field errors = %q, want one email error", raw, codes)
		}
	}
}

// A manager id in a non-canonical spelling (upper case) is stored verbatim.
// The read model (a uuid column) hands back the lower-case form, so a client
// that echoes it decides a spurious ProfileChanged and a needless manager
// lookup, and event consumers see two spellings of one user.
func TestRegressionManagerIDIsStoredCanonically(t *testing.T) {
	upper := strings.ToUpper(bossID.String())
	p := minimalProfile()
	p.ManagerID = upper
	events, err := user.Register(selfID, tenant, user.Registration{Email: "ada@example.com", Profile: p}, newOrgChart().lookup)
	if err != nil {
		t.Fatalf("Register: %v", err)
	}
	if got := events[0].(user.Registered).ManagerID; got != bossID.String() {
		t.Fatalf("manager id stored as %q, want canonical %q", got, bossID.String())
	}
	u, err := user.FromHistory(selfID, events)
	if err != nil {
		t.Fatalf("FromHistory: %v", err)
	}
	if again, err := u.Update(user.Patch{ManagerID: ptr(bossID.String())}, noLookup(t)); err != nil || again != nil {
		t.Errorf("echoing the canonical manager id decided %#v, %v; want nothing", again, err)
	}
}

// validateTimeZone accepts whatever time.LoadLocation can open as a file under
// the host's zoneinfo directory: the host-dependent "localtime" (the very
// reason "Local" is rejected) and non-canonical paths that name a zone twice.
func TestRegressionTimeZoneMustBeACanonicalIANAName(t *testing.T) {
	var accepted []string
	for _, tz := range []string{"localtime", "./UTC", "Europe//Berlin", "Europe/./Berlin"} {
		p := minimalProfile()
		p.TimeZone = tz
		if _, err := user.Register(selfID, tenant, user.Registration{Email: "ada@example.com", Profile: p}, noLookup(t)); err == nil {
			accepted = append(accepted, tz)
		}
	}
	if len(accepted) > 0 {
		t.Fatalf("accepted time zones %q", accepted)
	}
}
