package scim

import (
	"strings"
	"testing"
	"time"

	filter "github.com/scim2/filter-parser/v2"
)

// TestOwnFilterParserAgainstScim2 is the measured reason ports/scim keeps
// its own filter parser instead of github.com/scim2/filter-parser/v2 (issue
// 19 asked): on the filters identity providers send and the ones we must
// refuse, the library accepts fewer of the first, and on a deeply nested
// filter it has no depth bound, which ours has (maxFilterDepth). The test
// fails if the library comes to accept every filter that ours does, with
// a bound: then it is time to switch.
func TestOwnFilterParserAgainstScim2(t *testing.T) {
	sent := []string{ // all accepted by ours (filter_test.go)
		`userName eq "Ada@X.io"`, `USERNAME SW "a"`, `urn:ietf:params:scim:schemas:core:2.0:User:userName co "a"`,
		`externalId eq "E"`, `active eq true`, `title pr`, `emails[primary eq true].value eq "a@x.io"`,
		`emails[type eq "work"].value eq "x"`, `emails[primary eq true and value ew ".io"]`,
		`meta.lastModified ge "2026-11-28T18:00:00Z"`, `a eq "1" or b eq "2"`, `not (userName eq "a")`,
		`((userName eq "a"))`, `userName eq "quote \" and \\ backslash"`,
		`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "M"`,
		`userName eq "a" or userName eq "b" and active eq true`, `not (a pr) or (b eq 1 and c ne null)`,
	}
	libMissing := 0
	for _, f := range sent {
		if _, err := parseFilter(f); err != nil {
			t.Errorf("ours refuses %s: %v", f, err)
		}
		if _, err := filter.ParseFilter([]byte(f)); err != nil {
			libMissing++
			t.Logf("scim2/filter-parser refuses %s: %v", f, err)
		}
	}
	deep := strings.Repeat("(", 2000) + `a eq "b"` + strings.Repeat(")", 2000)
	start := time.Now()
	_, ourErr := parseFilter(deep)
	ours := time.Since(start)
	start = time.Now()
	_, libErr := filter.ParseFilter([]byte(deep))
	lib := time.Since(start)
	t.Logf("2000 nested groups: ours %v (%v), scim2/filter-parser %v (%v)", ours, ourErr, lib, libErr)
	if ourErr == nil {
		t.Error("ours accepted 2000 nested groups: the depth bound is gone")
	}
	if libMissing == 0 && libErr != nil {
		t.Error("scim2/filter-parser now accepts every filter ours does and bounds nesting: switch to it (README, SCIM)")
	}
}
