package notify

import (
	"strings"
	"unicode/utf8"
)

// Bounds of the text a notice repeats from the data: a rejection message
// quotes the row's values ("... external id \"<value>\""), and a CSV cell can
// be as long as the upload allows. An admin needs the start of a value to
// find the row, never all of it.
const (
	maxQuotedRunes = 64
	maxLineRunes   = 300
)

// clip shortens every double-quoted value in s to maxQuotedRunes and s as a
// whole to maxLineRunes, marking each cut with "…".
func clip(s string) string {
	var b strings.Builder
	for {
		open := strings.IndexByte(s, '"')
		if open < 0 {
			b.WriteString(s)
			break
		}
		end := closingQuote(s, open+1)
		if end < 0 { // a value cut before its closing quote (by the store's own cap)
			b.WriteString(s[:open+1])
			b.WriteString(cut(s[open+1:], maxQuotedRunes))
			break
		}
		b.WriteString(s[:open+1])
		b.WriteString(cut(s[open+1:end], maxQuotedRunes))
		b.WriteByte('"')
		s = s[end+1:]
	}
	return cut(b.String(), maxLineRunes)
}

// closingQuote finds the quote ending a value opened before i, skipping
// backslash escapes as %q writes them.
func closingQuote(s string, i int) int {
	for ; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			return i
		}
	}
	return -1
}

// cut keeps the first n runes of s, with "…" when it cut.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i := 0
	for k := 0; k < n; k++ {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	// Do not leave a dangling escape backslash before the cut.
	if strings.HasSuffix(s[:i], `\`) && !strings.HasSuffix(s[:i], `\\`) {
		i--
	}
	return s[:i] + "…"
}
