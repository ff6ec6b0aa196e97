package messages_test

import (
	"testing"
)

// TestCSVImportSetsTheWholeProfile: the profile's extra columns (username,
// names, enterprise fields...) are set on create, changed on update, left
// as they are when absent from a file, and a repeated file is unchanged.
func TestCSVImportSetsTheWholeProfile(t *testing.T) {
	t.Parallel()
	h := newHarness(t, 100, options{})
	h.startRouter(messagesConfig())
	file := "external_id,email,username,given_name,middle_name,nick_name,employee_number,cost_center,organization,division,preferred_language,user_type\n" +
		"X1,x1@example.com,x1@corp.example,Ada,Augusta,Ada L,1815,CC-1,Engines,R&D,en-GB,Employee\n" +
		"X2,x2@example.com,,,,,,,,,,\n" // one address and nothing else: names are optional
	job := h.waitFinished(h.importCSV(file).JobID)
	if got, want := countsOf(job), (counts{total: 2, created: 2}); got != want {
		t.Fatalf("counts %+v, want %+v: %+v", got, want, h.failures(job.ID))
	}
	u := h.userByExternalID("X1")
	if u.UserName() != "x1@corp.example" || u.MiddleName != "Augusta" || u.NickName != "Ada L" || u.EmployeeNumber != "1815" ||
		u.CostCenter != "CC-1" || u.Organization != "Engines" || u.Division != "R&D" || u.PreferredLanguage != "en-GB" || u.UserType != "Employee" {
		t.Fatalf("imported profile: %+v", u.Snapshot)
	}
	if again := h.waitFinished(h.importCSV(file).JobID); countsOf(again) != (counts{total: 2, unchanged: 2}) {
		t.Fatalf("the same file again: %+v", countsOf(again))
	}
	// A file without the extra columns leaves them; one with a changed cell changes it.
	h.waitFinished(h.importCSV("external_id,email,given_name\nX1,x1@example.com,Ada\n").JobID)
	upd := h.waitFinished(h.importCSV("external_id,email,employee_number\nX1,x1@example.com,1816\n").JobID)
	if countsOf(upd) != (counts{total: 1, updated: 1}) {
		t.Fatalf("update: %+v", countsOf(upd))
	}
	if u := h.userByExternalID("X1"); u.EmployeeNumber != "1816" || u.NickName != "Ada L" {
		t.Fatalf("after update: %+v", u.Snapshot)
	}
}
