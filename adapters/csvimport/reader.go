// Package csvimport reads import rows from CSV files: UTF-8 with or without
// a byte order mark, UTF-16 with one, Windows-1252 and ISO-8859-1 (named or
// detected, see decode), comma, semicolon or tab separators (named or
// sniffed from the header), CRLF or LF line ends, quoted fields (RFC 4180), header
// names matched case-insensitively, and a column mapping for HR exports whose
// header differs from the documented one:
//
//	external_id,email,given_name,family_name,display_name,department,title,manager_external_id,status
//
// (locale and time_zone may be added). Columns the import does not know are
// ignored. A malformed row is returned rejected, with its row number, column
// and reason, and reading goes on.
package csvimport

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/userservice/userservice/app/command"
)

var bom = []byte{0xEF, 0xBB, 0xBF}

// Reader reads the rows of one CSV file.
type Reader struct {
	csv *csv.Reader
	cap *capReader
	layout
	// valueMaps replace cells (import column -> lower-cased cell -> value).
	valueMaps map[string]map[string]string
	// keepRaw keeps each row's cells as read (ImportOptions.KeepRows);
	// lastRecord is the record being parsed (nil after a parse error).
	keepRaw    bool
	lastRecord []string
	// row is the spreadsheet row of the last record read; lastLine the
	// file line it ended on (encoding/csv skips empty lines, a spreadsheet
	// shows them as rows).
	row, lastLine int
}

// ReaderConfig caps what one field and one row may take.
type ReaderConfig struct {
	// MaxFieldBytes and MaxRowBytes (decoded); defaults DefaultMaxFieldBytes
	// and DefaultMaxRowBytes.
	MaxFieldBytes, MaxRowBytes int
}

// NewReader reads the header of r, decoded and split as opts say (see
// command.ImportOptions). A header that cannot be imported is
// command.ErrInvalidImportFile.
func NewReader(r io.Reader, opts command.ImportOptions) (*Reader, error) {
	return newReader(r, opts, ReaderConfig{})
}

func newReader(r io.Reader, opts command.ImportOptions, cfg ReaderConfig) (*Reader, error) {
	if cfg.MaxFieldBytes <= 0 {
		cfg.MaxFieldBytes = DefaultMaxFieldBytes
	}
	if cfg.MaxRowBytes <= 0 {
		cfg.MaxRowBytes = DefaultMaxRowBytes
	}
	decoded, err := decode(r, opts.Encoding)
	if err != nil {
		return nil, err
	}
	br := bufio.NewReaderSize(decoded, sniffLimit)
	head, err := br.Peek(len(bom))
	if err != nil && !errors.Is(err, io.EOF) {
		// The upload itself failed (cut off, too large, over a budget).
		return nil, fmt.Errorf("read the header: %w", err)
	}
	if bytes.Equal(head, bom) {
		_, _ = br.Discard(len(bom))
	}
	comma := opts.Delimiter
	if comma == 0 {
		comma = sniffDelimiter(br)
	}
	capped := newCapReader(br, comma, cfg.MaxFieldBytes, cfg.MaxRowBytes)
	c := csv.NewReader(capped)
	c.Comma = comma
	c.FieldsPerRecord = -1 // a row with the wrong field count is rejected alone, not the file
	c.ReuseRecord = true
	header, err := c.Read()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: the file is empty", command.ErrInvalidImportFile)
	}
	if err != nil {
		return nil, readError(err, "the header cannot be read")
	}
	capped.header = slices.Clone(header)
	lay, err := resolveHeader(header, opts)
	if err != nil {
		return nil, err
	}
	rd := &Reader{csv: c, cap: capped, layout: lay, valueMaps: opts.ValueMaps, keepRaw: opts.KeepRows, row: 1}
	rd.lastLine = rd.endLine(header)
	return rd, nil
}

// readError makes a reading error the client's (a malformed header, a
// field over its cap) or leaves it the upload's (cut off, too large).
func readError(err error, what string) error {
	var perr *csv.ParseError
	if errors.As(err, &perr) {
		return fmt.Errorf("%w: %s: %v", command.ErrInvalidImportFile, what, err)
	}
	var long *FieldTooLongError
	if errors.As(err, &long) {
		return fmt.Errorf("%w: %w", command.ErrInvalidImportFile, long)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// endLine is the file line the record just read ends on.
func (r *Reader) endLine(record []string) int {
	if len(record) == 0 {
		return r.lastLine
	}
	line, _ := r.csv.FieldPos(len(record) - 1)
	return line + strings.Count(record[len(record)-1], "\n")
}

// Next returns the next row, or io.EOF after the last. Rows are numbered
// as a spreadsheet shows them: the header is row 1, a record quoting line
// breaks is one row, and empty lines (which encoding/csv skips) and rows
// whose cells are all empty count as rows but are not returned.
func (r *Reader) Next() (command.ImportRow, error) {
	for {
		record, err := r.csv.Read()
		if errors.Is(err, io.EOF) {
			return command.ImportRow{}, io.EOF
		}
		var perr *csv.ParseError
		if errors.As(err, &perr) {
			r.lastRecord = nil
			r.row += max(perr.StartLine-r.lastLine, 1)
			r.lastLine = perr.Line
			return r.malformed("", fmt.Sprintf("line %d, column %d: %v", perr.Line, perr.Column, perr.Err)), nil
		}
		if err != nil {
			var long *FieldTooLongError
			if errors.As(err, &long) && long.Field && long.Name == "" && long.Column <= len(r.cap.header) {
				// Found while encoding/csv read ahead, before the header was in.
				long.Name = r.cap.header[long.Column-1]
			}
			return command.ImportRow{}, readError(err, fmt.Sprintf("read the row after row %d", r.row))
		}
		start, _ := r.csv.FieldPos(0)
		r.row += max(start-r.lastLine, 1)
		r.lastLine = r.endLine(record)
		if blank(record) {
			continue
		}
		return r.parse(record), nil
	}
}

func (r *Reader) parse(record []string) command.ImportRow {
	r.lastRecord = record
	if len(record) != len(r.columns) {
		return r.malformed("", fmt.Sprintf("has %d fields where the header has %d", len(record), len(r.columns)))
	}
	fields := make(map[string]string, len(r.columns)+len(r.derivations))
	for i, col := range r.columns {
		if col == "" {
			continue
		}
		if !utf8.ValidString(record[i]) {
			return r.malformed(col, fmt.Sprintf("column %d (%s) is not valid UTF-8", i+1, col))
		}
		fields[col] = r.mapValue(col, strings.TrimSpace(record[i]))
	}
	for _, d := range r.derivations {
		if fields[d.col] != "" {
			continue // the file's own value wins
		}
		if v, ok := d.apply(record); ok {
			if !utf8.ValidString(v) {
				return r.malformed(d.col, fmt.Sprintf("the derived %s is not valid UTF-8", d.col))
			}
			fields[d.col] = r.mapValue(d.col, v)
		}
	}
	row := command.ImportRow{Row: r.row, Fields: fields}
	if r.keepRaw {
		row.Raw = slices.Clone(record)
	}
	return row
}

// Header is the header as read.
func (r *Reader) Header() []string { return slices.Clone(r.cap.header) }

// mapValue replaces a cell the value maps name.
func (r *Reader) mapValue(col, v string) string {
	if m, ok := r.valueMaps[col]; ok {
		if to, ok := m[strings.ToLower(v)]; ok {
			return to
		}
	}
	return v
}

// apply builds the derived value; false when a cell it names is empty.
func (d derivation) apply(record []string) (string, bool) {
	var b strings.Builder
	for i, p := range d.parts {
		if !p.Ref {
			b.WriteString(p.Text)
			continue
		}
		v := strings.TrimSpace(record[d.refs[i]])
		if v == "" {
			return "", false
		}
		b.WriteString(v)
	}
	return b.String(), true
}

func (r *Reader) malformed(field, reason string) command.ImportRow {
	row := command.ImportRow{Row: r.row, Rejection: []command.Failure{{Row: r.row, Field: field, Code: "malformed_row", Message: reason}}}
	if r.keepRaw {
		row.Raw = slices.Clone(r.lastRecord)
	}
	return row
}

func blank(record []string) bool {
	for _, v := range record {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}
