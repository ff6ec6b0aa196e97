package command

import (
	"fmt"
	"strings"

	"github.com/userservice/userservice/domain/user"
)

// keptWhenEmpty are the columns whose empty cell means "leave as is" on an
// update (they cannot be cleared); an empty cell of any other column clears it.
var keptWhenEmpty = map[string]bool{ColExternalID: true, ColEmail: true, ColGivenName: true, ColFamilyName: true, ColStatus: true}

func registration(f map[string]string, managerID *string) user.Registration {
	r := user.Registration{
		Email:  f[ColEmail],
		Status: importStatus(f[ColStatus]),
		Profile: user.Profile{
			GivenName: f[ColGivenName], FamilyName: f[ColFamilyName], DisplayName: f[ColDisplayName],
			Department: f[ColDepartment], Title: f[ColTitle], ExternalID: strings.TrimSpace(f[ColExternalID]),
			Locale: f[ColLocale], TimeZone: f[ColTimeZone],
		},
	}
	if managerID != nil {
		r.Profile.ManagerID = *managerID
	}
	for _, c := range extraColumns {
		*c.profile(&r.Profile) = f[c.col]
	}
	return r
}

// patch sets every column the row has, so the same row always makes the same
// patch (and command payload) whatever the user's state: change detection is
// the domain's, and a redelivered row replays instead of clashing.
func patch(f map[string]string, managerID *string) user.Patch {
	field := func(col string) *string {
		v, ok := f[col]
		if !ok || (v == "" && keptWhenEmpty[col]) {
			return nil
		}
		return &v
	}
	p := user.Patch{
		Email: field(ColEmail), GivenName: field(ColGivenName), FamilyName: field(ColFamilyName),
		DisplayName: field(ColDisplayName), Department: field(ColDepartment), Title: field(ColTitle),
		ExternalID: field(ColExternalID), Locale: field(ColLocale), TimeZone: field(ColTimeZone),
		ManagerID: managerID,
	}
	if s := field(ColStatus); s != nil {
		st := importStatus(*s)
		p.Status = &st
	}
	for _, c := range extraColumns {
		*c.patch(&p) = field(c.col)
	}
	return p
}

// stale answers a source record older than the user's last change: skipped
// if it would change something (the newer change wins), unchanged otherwise.
func stale(r ImportUserRow, t ImportTarget, p user.Patch) RowOutcome {
	s := t.Snapshot
	differs := func(v *string, cur string) bool { return v != nil && *v != cur }
	changes := differs(p.GivenName, s.GivenName) || differs(p.FamilyName, s.FamilyName) ||
		differs(p.DisplayName, s.DisplayName) || differs(p.Department, s.Department) || differs(p.Title, s.Title) ||
		differs(p.ExternalID, s.ExternalID) || differs(p.Locale, s.Locale) || differs(p.TimeZone, s.TimeZone) ||
		differs(p.ManagerID, s.ManagerID) || (p.Email != nil && user.NormalizeEmail(*p.Email) != s.Email) ||
		(p.Status != nil && *p.Status != s.Status)
	for _, c := range extraColumns {
		prof := s.Profile
		changes = changes || differs(*c.patch(&p), *c.profile(&prof))
	}
	if !changes {
		return RowOutcome{Outcome: OutcomeUnchanged, UserID: s.ID.String()}
	}
	return RowOutcome{Outcome: OutcomeSkipped, UserID: s.ID.String(), Detail: fmt.Sprintf(
		"the user changed at %s, after the source's record (%s)", t.UpdatedAt.UTC().Format("2006-01-02T15:04:05Z"),
		r.SourceModifiedAt.UTC().Format("2006-01-02T15:04:05Z"))}
}

// statusSynonyms are the status values an import understands besides
// active and deactivated, case-insensitively. What anything else means
// ("on leave", "suspended") is for the HR admin to say with a value map.
var statusSynonyms = map[string]user.Status{
	"active": user.StatusActive, "enabled": user.StatusActive, "true": user.StatusActive, "1": user.StatusActive,
	"deactivated": user.StatusDeactivated, "inactive": user.StatusDeactivated, "disabled": user.StatusDeactivated,
	"terminated": user.StatusDeactivated, "false": user.StatusDeactivated, "0": user.StatusDeactivated,
}

// importStatus reads a status cell: a synonym, else the cell as it is (for
// the domain to refuse, quoting it).
func importStatus(s string) user.Status {
	if st, ok := statusSynonyms[strings.ToLower(strings.TrimSpace(s))]; ok {
		return st
	}
	return user.Status(s)
}
