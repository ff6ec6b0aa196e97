package messages_test

import (
	"testing"

	"github.com/userservice/userservice/domain/user"
)

// TestImportRowsStayInTheirTenant imports, for one tenant, rows that name
// another tenant's people: their external id and e-mail, their manager, a
// status change for their user. Each row acts only inside the importing
// tenant (a new user of its own, or a rejection), and the other tenant's
// users and events are untouched: the message path is isolated like the API.
func TestImportRowsStayInTheirTenant(t *testing.T) {
	t.Parallel()
	mine := newHarness(t, 100, options{})
	theirs := newHarness(t, 100, options{})
	mine.startRouter(messagesConfig())
	boss := theirs.register("boss-iso@example.com", "T-BOSS", "Boss", "Chief")
	victim := theirs.register("victim-iso@example.com", "T-VIC", "Vic", "Clerk")
	third := theirs.register("third-iso@example.com", "T-3RD", "Tri", "")
	before := theirs.events()

	job := mine.waitFinished(mine.importCSV(header +
		"T-VIC,victim-iso@example.com,Vic,Mine,,,Thief,,\r\n" + // 2 created in mine: their ids are free here
		"M-1,m1-iso@example.com,Em,One,,,,T-BOSS,\r\n" + // 3 created without a manager: their boss is nobody here
		"T-3RD,,,,,,,,deactivated\r\n").JobID) // 4 rejected: no such user here, and no e-mail to create one
	if got, want := countsOf(job), (counts{total: 3, created: 2, rejected: 1}); got != want {
		t.Fatalf("counts = %+v, want %+v", got, want)
	}
	failures := mine.failures(job.ID)
	if len(failures) < 2 || failures[0].Row != 3 || failures[0].Code != "manager_not_found" || failures[0].Severity != "warning" ||
		failures[len(failures)-1].Row != 4 || mine.userByExternalID("M-1").ManagerID != "" {
		t.Fatalf("failures = %+v", failures)
	}
	if twin := mine.userByExternalID("T-VIC"); twin.ID == victim.ID || twin.Title != "Thief" {
		t.Fatalf("the row with their external id reached %+v (their user is %s)", twin, victim.ID)
	}

	if got := theirs.events(); got != before {
		t.Fatalf("the other tenant has %d events, had %d", got, before)
	}
	if v := theirs.userByExternalID("T-VIC"); v.ID != victim.ID || v.Version != victim.Version || v.Title != "Clerk" {
		t.Fatalf("their user changed: %+v", v)
	}
	for _, u := range []user.Snapshot{boss, third} {
		if got := theirs.userByExternalID(u.ExternalID); got.Status != user.StatusActive || got.Version != u.Version {
			t.Fatalf("their user changed: %+v", got)
		}
	}
}
