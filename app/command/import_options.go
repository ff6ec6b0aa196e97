package command

import (
	"fmt"
	"slices"
	"strings"
)

// ImportOptions say how an upload is read and how its rows are decided.
// The ports fill them from flags and query parameters with the Parse
// functions below, so the CLI and HTTP accept the same spellings.
type ImportOptions struct {
	// Mapping maps import columns to the file's header names (nil: the
	// header names are the import columns).
	Mapping map[string]string
	// Encoding is the file's character encoding, one of ImportEncodings
	// ("" detects it: a byte order mark, else UTF-8 when the bytes are
	// valid UTF-8, else Windows-1252).
	Encoding string
	// Delimiter separates the fields (0: sniffed from the header line).
	Delimiter rune
	// ValueMaps replace cells: import column -> the cell as in the file
	// (matched case-insensitively, trimmed) -> the value imported.
	ValueMaps map[string]map[string]string
	// Derivations build a column the file does not have from the cells of
	// the row: import column -> template (see ParseDerivation).
	Derivations map[string]string
	// KeepRows keeps the file's original rows with the job, so the failure
	// report can give the rejected ones back as they were.
	KeepRows bool
	// UpdateOnly allows a file with no e-mail address (column or
	// derivation): it can only update users found by external id.
	UpdateOnly bool
	// MissingManager says what becomes of a row whose manager is neither a
	// user of the tenant nor imported by the job (default ignore).
	MissingManager MissingManagerPolicy
}

// ImportEncodings are the encodings an upload may name (charset parameter,
// --encoding), canonical names first in each group of aliases.
var ImportEncodings = map[string]string{
	"utf-8": "utf-8", "utf8": "utf-8", "us-ascii": "utf-8",
	"utf-16": "utf-16", "utf-16le": "utf-16le", "utf-16be": "utf-16be",
	"windows-1252": "windows-1252", "cp1252": "windows-1252", "x-cp1252": "windows-1252",
	"iso-8859-1": "iso-8859-1", "iso8859-1": "iso-8859-1", "latin1": "iso-8859-1", "latin-1": "iso-8859-1",
}

// ParseEncoding returns the canonical name of an encoding ("" for ""
// or "auto": detect).
func ParseEncoding(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" || s == "auto" {
		return "", nil
	}
	if c, ok := ImportEncodings[s]; ok {
		return c, nil
	}
	names := slices.Sorted(func(yield func(string) bool) {
		for k := range ImportEncodings {
			if !yield(k) {
				return
			}
		}
	})
	return "", fmt.Errorf("unknown encoding %q (known: %s)", s, strings.Join(names, ", "))
}

// ParseDelimiter reads a field separator: "," or "comma", ";" or
// "semicolon", "tab" (or a tab character), "|" or "pipe"; "" or "auto"
// sniffs it from the header.
func ParseDelimiter(s string) (rune, error) {
	switch strings.ToLower(s) {
	case "", "auto":
		return 0, nil
	case ",", "comma":
		return ',', nil
	case ";", "semicolon":
		return ';', nil
	case "\t", "tab", `\t`:
		return '\t', nil
	case "|", "pipe":
		return '|', nil
	}
	return 0, fmt.Errorf("unknown delimiter %q (comma, semicolon, tab or pipe)", s)
}

// MissingManagerPolicy is what an import does with a row whose manager is
// not found: neither a user of the tenant nor a row of the job that was
// imported.
type MissingManagerPolicy string

// The policies.
const (
	// MissingManagerIgnore imports the row without a manager (a new user
	// has none; an existing user keeps theirs) and records a warning.
	MissingManagerIgnore MissingManagerPolicy = "ignore"
	// MissingManagerReject refuses the row.
	MissingManagerReject MissingManagerPolicy = "reject"
)

// ParseMissingManager reads a policy ("" is ignore).
func ParseMissingManager(s string) (MissingManagerPolicy, error) {
	switch p := MissingManagerPolicy(strings.ToLower(strings.TrimSpace(s))); p {
	case "":
		return MissingManagerIgnore, nil
	case MissingManagerIgnore, MissingManagerReject:
		return p, nil
	}
	return "", fmt.Errorf("missing_manager must be ignore or reject, not %q", s)
}

// ParseValueMap reads "column:value in the file=value imported" (the
// column ends at the first ':', the file's value at the first '=' after
// it; the file's value is matched case-insensitively and trimmed) into
// opts.ValueMaps.
func (o *ImportOptions) ParseValueMap(spec string) error {
	col, rest, ok := strings.Cut(spec, ":")
	from, to, ok2 := strings.Cut(rest, "=")
	col, from, to = strings.ToLower(strings.TrimSpace(col)), strings.TrimSpace(from), strings.TrimSpace(to)
	if !ok || !ok2 || col == "" || from == "" {
		return fmt.Errorf("a value map is COLUMN:VALUE=NEW, e.g. status:Inactive=deactivated, not %q", spec)
	}
	if !slices.Contains(ImportColumns, col) {
		return fmt.Errorf("the value map %q names %q, which is not an import column", spec, col)
	}
	if o.ValueMaps == nil {
		o.ValueMaps = map[string]map[string]string{}
	}
	if o.ValueMaps[col] == nil {
		o.ValueMaps[col] = map[string]string{}
	}
	o.ValueMaps[col][strings.ToLower(from)] = to
	return nil
}

// ParseDerivation reads "column=template" into opts.Derivations. In the
// template, {Header Name} is the row's cell under that header (matched
// case-insensitively, trimmed); {{ and }} are literal braces; anything
// else is literal text. A derived value fills the column where the row
// has none (no such column, or an empty cell); when a cell it names is
// empty, it derives nothing.
func (o *ImportOptions) ParseDerivation(spec string) error {
	col, tmpl, ok := strings.Cut(spec, "=")
	col = strings.ToLower(strings.TrimSpace(col))
	if !ok || col == "" || strings.TrimSpace(tmpl) == "" {
		return fmt.Errorf("a derivation is COLUMN=TEMPLATE, e.g. email={WorkerID}@corp.example, not %q", spec)
	}
	if !slices.Contains(ImportColumns, col) {
		return fmt.Errorf("the derivation %q names %q, which is not an import column", spec, col)
	}
	if _, err := ParseTemplate(tmpl); err != nil {
		return fmt.Errorf("the derivation %q: %w", spec, err)
	}
	if o.Derivations == nil {
		o.Derivations = map[string]string{}
	}
	o.Derivations[col] = tmpl
	return nil
}

// TemplatePart is a piece of a derivation's template: literal text, or
// (Ref true) the name of the header whose cell goes there.
type TemplatePart struct {
	Text string
	Ref  bool
}

// ParseTemplate splits a derivation's template (see ParseDerivation).
func ParseTemplate(tmpl string) ([]TemplatePart, error) {
	var (
		parts []TemplatePart
		lit   strings.Builder
	)
	for i := 0; i < len(tmpl); i++ {
		c := tmpl[i]
		switch {
		case (c == '{' || c == '}') && i+1 < len(tmpl) && tmpl[i+1] == c:
			lit.WriteByte(c)
			i++
		case c == '}':
			return nil, fmt.Errorf("a lone } at %d (write }} for a brace)", i+1)
		case c == '{':
			end := strings.IndexByte(tmpl[i+1:], '}')
			name := ""
			if end >= 0 {
				name = strings.TrimSpace(tmpl[i+1 : i+1+end])
			}
			if end < 0 || name == "" || strings.ContainsRune(name, '{') {
				return nil, fmt.Errorf("the { at %d does not enclose a header name (write {{ for a brace)", i+1)
			}
			if lit.Len() > 0 {
				parts = append(parts, TemplatePart{Text: lit.String()})
				lit.Reset()
			}
			parts = append(parts, TemplatePart{Text: name, Ref: true})
			i += end + 1
		default:
			lit.WriteByte(c)
		}
	}
	if lit.Len() > 0 {
		parts = append(parts, TemplatePart{Text: lit.String()})
	}
	return parts, nil
}
