package console

import (
	"regexp"
	"strings"
)

// listInput is the Input of a multi-valued field edited as text: one entry a
// line, "value (type, primary)".
const listInput = "list"

// listLines is a list (e-mails, phone numbers) as the edit form's text.
func listLines(v any) string {
	items, _ := v.([]any)
	lines := make([]string, 0, len(items))
	for _, item := range items {
		lines = append(lines, itemText(item))
	}
	return strings.Join(lines, "\n")
}

// trailingNotes is a line's "(type, primary)" at its end; a value may hold
// parentheses of its own, as "+1 (555) 0100 (work)" does.
var trailingNotes = regexp.MustCompile(`^(.*?)\s*\(([^()]*)\)\s*$`)

// parseList reads the edit form's text back into the API's list: one
// {value, type, primary} a non-empty line. The API validates the result.
func parseList(text string) []map[string]any {
	out := []map[string]any{}
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		item := map[string]any{"value": line}
		if m := trailingNotes.FindStringSubmatch(line); m != nil && m[1] != "" {
			item["value"] = m[1]
			for _, note := range strings.Split(m[2], ",") {
				switch note = strings.TrimSpace(note); {
				case strings.EqualFold(note, "primary"):
					item["primary"] = true
				case note != "":
					item["type"] = note
				}
			}
		}
		out = append(out, item)
	}
	return out
}
