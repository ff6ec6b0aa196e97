package csvimport

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"

	"github.com/userservice/userservice/app/command"
)

// decode returns r as UTF-8. A byte order mark (UTF-8, UTF-16 LE or BE)
// always wins, whatever the encoding named; then the named encoding; with
// none named, the bytes are detected (see detector).
func decode(r io.Reader, encoding string) (io.Reader, error) {
	name, err := command.ParseEncoding(encoding)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", command.ErrInvalidImportFile, err)
	}
	var fallback transform.Transformer
	switch name {
	case "":
		fallback = &detector{}
	case "utf-8":
		// Passed through as it is: a cell that is not valid UTF-8 is
		// rejected with its row, not replaced.
		fallback = transform.Nop
	case "utf-16", "utf-16le":
		// Without a byte order mark, UTF-16 is read little-endian, as
		// Windows writes it.
		fallback = unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM).NewDecoder()
	case "utf-16be":
		fallback = unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM).NewDecoder()
	case "windows-1252":
		fallback = charmap.Windows1252.NewDecoder()
	case "iso-8859-1":
		fallback = charmap.ISO8859_1.NewDecoder()
	}
	return transform.NewReader(r, unicode.BOMOverride(fallback)), nil
}

// detector decides a file's encoding on the first bytes that tell: text
// starting with NUL bytes every other byte is UTF-16 without a byte order
// mark; otherwise ASCII passes through until the first non-ASCII byte,
// where a valid UTF-8 sequence makes the file UTF-8 and anything else makes
// it Windows-1252 (what spreadsheet programs write as "CSV"; a superset of
// ISO-8859-1's printable characters). A file that is UTF-8 at first and
// invalid later keeps UTF-8: the rows with invalid bytes are rejected.
type detector struct {
	chosen  transform.Transformer
	started bool
}

func (d *detector) Reset() { d.chosen, d.started = nil, false }

func (d *detector) Transform(dst, src []byte, atEOF bool) (int, int, error) {
	if d.chosen != nil {
		return d.chosen.Transform(dst, src, atEOF)
	}
	if !d.started {
		if len(src) < 4 && !atEOF {
			return 0, 0, transform.ErrShortSrc
		}
		d.started = true
		if len(src) >= 4 && src[0] != 0 && src[1] == 0 && src[2] != 0 && src[3] == 0 {
			return d.choose(unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM).NewDecoder(), dst, src, atEOF, 0)
		}
		if len(src) >= 4 && src[0] == 0 && src[1] != 0 && src[2] == 0 && src[3] != 0 {
			return d.choose(unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM).NewDecoder(), dst, src, atEOF, 0)
		}
	}
	n := 0
	for n < len(src) && src[n] < utf8.RuneSelf {
		n++
	}
	if n == len(src) {
		c := copy(dst, src)
		if c < n {
			return c, c, transform.ErrShortDst
		}
		return n, n, nil
	}
	rest := src[n:]
	if !utf8.FullRune(rest) && !atEOF {
		c := copy(dst, src[:n])
		if c < n {
			return c, c, transform.ErrShortDst
		}
		return n, n, transform.ErrShortSrc
	}
	if r, size := utf8.DecodeRune(rest); r == utf8.RuneError && size <= 1 {
		return d.choose(charmap.Windows1252.NewDecoder(), dst, src, atEOF, n)
	}
	return d.choose(transform.Nop, dst, src, atEOF, n)
}

// choose copies the ASCII prefix src[:n] and hands the rest to t from now on.
func (d *detector) choose(t transform.Transformer, dst, src []byte, atEOF bool, n int) (int, int, error) {
	c := copy(dst, src[:n])
	if c < n {
		return c, c, transform.ErrShortDst
	}
	d.chosen = t
	nd, ns, err := t.Transform(dst[n:], src[n:], atEOF)
	return n + nd, n + ns, err
}

// sniffLimit is how much of the decoded file is looked at for the header.
const sniffLimit = 64 << 10

// sniffDelimiter picks the separator the header line uses most, outside
// quotes, among comma, semicolon and tab (comma on a tie or when none is
// there: a one-column file).
func sniffDelimiter(br *bufio.Reader) rune {
	head, _ := br.Peek(sniffLimit)
	if i := headerEnd(head); i >= 0 {
		head = head[:i]
	}
	counts := map[byte]int{}
	quoted := false
	for _, b := range head {
		switch {
		case b == '"':
			quoted = !quoted
		case !quoted && (b == ',' || b == ';' || b == '\t'):
			counts[b]++
		}
	}
	best := byte(',')
	for _, b := range []byte{';', '\t'} {
		if counts[b] > counts[best] {
			best = b
		}
	}
	return rune(best)
}

// headerEnd is the index of the first line end outside quotes, or -1.
func headerEnd(b []byte) int {
	quoted := false
	for i, c := range b {
		switch {
		case c == '"':
			quoted = !quoted
		case c == '\n' && !quoted:
			return i
		}
	}
	return bytes.IndexByte(b, '\n')
}
