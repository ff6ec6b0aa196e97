package notify

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestClipTruncatesQuotedValuesAndLines(t *testing.T) {
	long := strings.Repeat("é", 500)
	got := clip(`the e-mail address belongs to a user with external id "` + long + `" (row 3)`)
	if !strings.HasPrefix(got, `the e-mail address belongs to a user with external id "`+strings.Repeat("é", 64)+`…" (row 3)`) {
		t.Errorf("quoted value not cut to 64 runes: %q", got)
	}
	if n := utf8.RuneCountInString(clip(strings.Repeat("x", 5000))); n != maxLineRunes+1 {
		t.Errorf("a 5,000-rune line clipped to %d runes, want %d", n, maxLineRunes+1)
	}
	if got := clip(`short "ok" and "a\"b"`); got != `short "ok" and "a\"b"` {
		t.Errorf("short text changed: %q", got)
	}
	if got := clip(`unterminated "` + strings.Repeat("y", 400)); got != `unterminated "`+strings.Repeat("y", 64)+"…" {
		t.Errorf("unterminated quote: %q", got)
	}
	if got := clip(`"` + strings.Repeat(`\"`, 100) + `"`); !utf8.ValidString(got) || strings.HasSuffix(strings.TrimSuffix(got, `…"`), `\`) && !strings.HasSuffix(strings.TrimSuffix(got, `…"`), `\\`) {
		t.Errorf("escape cut in half: %q", got)
	}
}
