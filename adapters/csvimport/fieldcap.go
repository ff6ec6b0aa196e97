package csvimport

import (
	"fmt"
	"io"
)

// Defaults of the caps on one field and one row (encoding/csv holds a
// whole record in memory, and the upload cap alone would let one cell take
// all of it).
const (
	DefaultMaxFieldBytes = 64 << 10
	DefaultMaxRowBytes   = 1 << 20
)

// FieldTooLongError is a field or row over its cap: the file is refused
// whole (nothing is queued), naming where.
type FieldTooLongError struct {
	// Row is the spreadsheet row; Column the field's 1-based position;
	// Name its header name when the header was read (and the column has
	// one). Field is false when the row as a whole is too long.
	Row, Column int
	Name        string
	Field       bool
	Limit       int
}

func (e *FieldTooLongError) Error() string {
	if !e.Field {
		return fmt.Sprintf("row %d is longer than %d bytes", e.Row, e.Limit)
	}
	name := ""
	if e.Name != "" {
		name = fmt.Sprintf(" (%q)", e.Name)
	}
	return fmt.Sprintf("row %d, column %d%s: a field is longer than %d bytes", e.Row, e.Column, name, e.Limit)
}

// capReader follows the CSV syntax byte by byte (quotes, separators, line
// ends) as the bytes go to encoding/csv, and fails the read when a field or
// a row grows over its cap. It counts rows as a spreadsheet does: every
// line end outside quotes ends a row, blank lines included.
type capReader struct {
	r               io.Reader
	comma           byte
	maxField        int
	maxRow          int
	header          []string
	state           uint8
	row, col        int
	fieldLen, rowLn int
	err             error
}

const (
	atFieldStart = iota
	inUnquoted
	inQuoted
	quoteInQuoted
)

func newCapReader(r io.Reader, comma rune, maxField, maxRow int) *capReader {
	return &capReader{r: r, comma: byte(comma), maxField: maxField, maxRow: maxRow, row: 1, col: 1}
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.r.Read(p)
	for i := 0; i < n; i++ {
		if c.step(p[i]) {
			c.err = c.tooLong()
			return i, c.err
		}
	}
	return n, err
}

// step moves over one byte; true when a cap is exceeded.
func (c *capReader) step(b byte) bool {
	endField := func() { c.state, c.fieldLen = atFieldStart, 0; c.col++ }
	endRow := func() { c.state, c.fieldLen, c.rowLn, c.col = atFieldStart, 0, 0, 1; c.row++ }
	switch c.state {
	case atFieldStart, inUnquoted:
		switch {
		case b == '"' && c.state == atFieldStart:
			c.state = inQuoted
		case b == c.comma:
			endField()
			return false
		case b == '\n':
			endRow()
			return false
		default:
			c.state = inUnquoted
			c.fieldLen++
		}
	case inQuoted:
		if b == '"' {
			c.state = quoteInQuoted
		} else {
			c.fieldLen++
		}
	case quoteInQuoted:
		switch b {
		case '"':
			c.state = inQuoted
			c.fieldLen++
		case c.comma:
			endField()
			return false
		case '\n':
			endRow()
			return false
		default:
			c.state = inUnquoted
			c.fieldLen++
		}
	}
	c.rowLn++
	return c.fieldLen > c.maxField || c.rowLn > c.maxRow
}

func (c *capReader) tooLong() error {
	if c.fieldLen <= c.maxField {
		return &FieldTooLongError{Row: c.row, Limit: c.maxRow}
	}
	e := &FieldTooLongError{Row: c.row, Column: c.col, Field: true, Limit: c.maxField}
	if c.col <= len(c.header) {
		e.Name = c.header[c.col-1]
	}
	return e
}
