package csvimport

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/userservice/userservice/app/command"
)

// derivation fills a column from a template over the row's cells.
type derivation struct {
	col   string
	parts []command.TemplatePart
	// refs are the field positions of the parts that name a header (-1
	// for literal parts).
	refs []int
}

// layout is what the header and the options make of each row.
type layout struct {
	columns     []string // field position -> import column ("" = ignored)
	derivations []derivation
}

// resolveHeader matches header names to import columns and checks, before
// any row is read, that the rows can create users: every problem is listed
// at once, sorted, with the options that would fix them.
func resolveHeader(header []string, opts command.ImportOptions) (layout, error) {
	e := &command.ImportMappingError{Header: slices.Clone(header)}
	byName := map[string]string{} // normalised header name -> import column
	for _, col := range command.ImportColumns {
		byName[col] = col
	}
	mapped := map[string]string{}
	for col, name := range opts.Mapping {
		col = normalise(col)
		if !slices.Contains(command.ImportColumns, col) {
			e.Problems = append(e.Problems, fmt.Sprintf("the mapping names %q, which is not an import column", col))
			continue
		}
		mapped[col] = name
		if byName[col] == col {
			delete(byName, col) // the column is read from the mapped name only
		}
		byName[normalise(name)] = col
	}
	lay := layout{columns: make([]string, len(header))}
	position := map[string]int{} // normalised header name -> first position
	seen := map[string]bool{}
	for i, h := range header {
		if _, ok := position[normalise(h)]; !ok {
			position[normalise(h)] = i
		}
		col := byName[normalise(h)]
		if col == "" {
			e.Unmatched = append(e.Unmatched, h)
			continue
		}
		if seen[col] {
			e.Problems = append(e.Problems, fmt.Sprintf("the header has column %q twice", col))
			continue
		}
		seen[col] = true
		lay.columns[i] = col
		e.Matched = append(e.Matched, col+"="+h)
	}
	for col, name := range mapped {
		if !seen[col] {
			e.Problems = append(e.Problems, fmt.Sprintf("the mapping reads %s from %q, which the header does not have", col, name))
		}
	}
	for col, tmpl := range opts.Derivations {
		parts, _ := command.ParseTemplate(tmpl) // checked when the option was parsed
		d := derivation{col: col, parts: parts}
		for _, p := range parts {
			at := -1
			if p.Ref {
				var ok bool
				if at, ok = position[normalise(p.Text)]; !ok {
					e.Problems = append(e.Problems, fmt.Sprintf("the derivation of %s names {%s}, which the header does not have", col, p.Text))
				}
			}
			d.refs = append(d.refs, at)
		}
		lay.derivations = append(lay.derivations, d)
	}
	slices.SortFunc(lay.derivations, func(a, b derivation) int { return strings.Compare(a.col, b.col) })
	has := func(col string) bool { return seen[col] || opts.Derivations[col] != "" }
	switch {
	case !has(command.ColExternalID) && !has(command.ColEmail):
		e.Problems = append(e.Problems, fmt.Sprintf("the header has neither %s nor %s (the default header is %s)",
			command.ColExternalID, command.ColEmail, strings.Join(command.ImportColumns[:9], ",")))
	case !has(command.ColEmail) && !opts.UpdateOnly:
		e.Problems = append(e.Problems, "no column gives the e-mail address, so no user can be created "+
			"(map one, derive one, or say the file only updates users found by external id)")
	}
	if len(e.Problems) == 0 {
		return lay, nil
	}
	e.Suggestions = suggest(header, e.Unmatched, seen, opts)
	slices.Sort(e.Matched)
	slices.Sort(e.Unmatched)
	slices.Sort(e.Problems)
	return layout{}, e
}

// headerSynonyms are names HR systems give the import columns, normalised
// (lower case, letters and digits only).
var headerSynonyms = map[string][]string{
	command.ColExternalID:        {"workerid", "employeeid", "employeenumber", "employeeno", "personnelno", "personnelnumber", "empid", "staffid", "id", "userid"},
	command.ColEmail:             {"workemail", "emailaddress", "mail", "businessemail", "workemailaddress", "primaryemail"},
	command.ColGivenName:         {"firstname", "forename", "givenname", "first"},
	command.ColFamilyName:        {"lastname", "surname", "familyname", "last"},
	command.ColDisplayName:       {"fullname", "name", "preferredname", "displayname"},
	command.ColDepartment:        {"dept", "department", "orgunit", "team"},
	command.ColTitle:             {"jobtitle", "position", "role", "businesstitle"},
	command.ColManagerExternalID: {"managerid", "managerworkerid", "manageremployeeid", "supervisorid", "reportsto", "manager", "linemanager"},
	command.ColStatus:            {"employmentstatus", "workerstatus", "active", "state"},
}

// suggest proposes --map lines for unmatched header names that look like an
// import column not read yet, and a --derive line for a missing e-mail.
func suggest(header, unmatched []string, seen map[string]bool, opts command.ImportOptions) []string {
	var out []string
	taken := map[string]bool{}
	for _, h := range unmatched {
		key := squash(h)
		for _, col := range command.ImportColumns[:9] {
			if seen[col] || taken[col] || opts.Mapping[col] != "" {
				continue
			}
			if slices.Contains(headerSynonyms[col], key) || (col == command.ColEmail && strings.Contains(key, "mail")) {
				out = append(out, "--map "+col+"="+strconv.Quote(h))
				taken[col] = true
				break
			}
		}
	}
	if !seen[command.ColEmail] && !taken[command.ColEmail] && opts.Derivations[command.ColEmail] == "" {
		id := ""
		for _, h := range header {
			if seen[command.ColExternalID] && opts.Mapping[command.ColExternalID] != "" && normalise(h) == normalise(opts.Mapping[command.ColExternalID]) ||
				normalise(h) == command.ColExternalID || slices.Contains(headerSynonyms[command.ColExternalID], squash(h)) {
				id = h
				break
			}
		}
		if id != "" {
			out = append(out, "--derive 'email={"+id+"}@your-domain.example'")
		}
		if !opts.UpdateOnly {
			out = append(out, "--update-only")
		}
	}
	slices.Sort(out)
	return out
}

// squash is a header name lower-cased with only its letters and digits.
func squash(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return unicode.ToLower(r)
		}
		return -1
	}, s)
}

func normalise(s string) string {
	return strings.ToLower(strings.TrimSpace(strings.TrimPrefix(s, string(bom))))
}
