// Package csvimport reads import rows from CSV files: UTF-8 with or without
// a byte order mark, CRLF or LF line ends, quoted fields (RFC 4180), header
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
	// columns maps each field position to its import column ("" = ignored).
	columns []string
	row     int
}

// NewReader reads the header of r. mapping maps import columns to the file's
// header names (nil: the header names are the import columns). A header that
// cannot be imported is command.ErrInvalidImportFile.
func NewReader(r io.Reader, mapping map[string]string) (*Reader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(len(bom))
	if err != nil && !errors.Is(err, io.EOF) {
		// The upload itself failed (cut off, too large, over a budget).
		return nil, fmt.Errorf("read the header: %w", err)
	}
	if bytes.Equal(head, bom) {
		_, _ = br.Discard(len(bom))
	}
	c := csv.NewReader(br)
	c.FieldsPerRecord = -1 // a row with the wrong field count is rejected alone, not the file
	c.ReuseRecord = true
	header, err := c.Read()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: the file is empty", command.ErrInvalidImportFile)
	}
	var perr *csv.ParseError
	if errors.As(err, &perr) {
		return nil, fmt.Errorf("%w: the header cannot be read: %v", command.ErrInvalidImportFile, err)
	}
	if err != nil {
		// The upload itself failed (cut off, too large, over a budget).
		return nil, fmt.Errorf("read the header: %w", err)
	}
	columns, err := resolveHeader(header, mapping)
	if err != nil {
		return nil, err
	}
	return &Reader{csv: c, columns: columns, row: 1}, nil
}

// resolveHeader matches header names to import columns.
func resolveHeader(header []string, mapping map[string]string) ([]string, error) {
	byName := map[string]string{} // normalised header name -> import column
	for _, col := range command.ImportColumns {
		byName[col] = col
	}
	for col, name := range mapping {
		col = normalise(col)
		if !slices.Contains(command.ImportColumns, col) {
			return nil, fmt.Errorf("%w: the mapping names %q, which is not an import column (%s)",
				command.ErrInvalidImportFile, col, strings.Join(command.ImportColumns, ", "))
		}
		if byName[col] == col {
			delete(byName, col) // the column is read from the mapped name only
		}
		byName[normalise(name)] = col
	}
	columns := make([]string, len(header))
	seen := map[string]bool{}
	for i, h := range header {
		col := byName[normalise(h)]
		if col == "" {
			continue
		}
		if seen[col] {
			return nil, fmt.Errorf("%w: the header has column %q twice", command.ErrInvalidImportFile, col)
		}
		seen[col] = true
		columns[i] = col
	}
	for col, name := range mapping {
		if !seen[normalise(col)] {
			return nil, fmt.Errorf("%w: the mapping reads %s from %q, which the header does not have",
				command.ErrInvalidImportFile, normalise(col), name)
		}
	}
	if !seen[command.ColExternalID] && !seen[command.ColEmail] {
		return nil, fmt.Errorf("%w: the header has neither %s nor %s (the default header is %s)", command.ErrInvalidImportFile,
			command.ColExternalID, command.ColEmail, strings.Join(command.ImportColumns[:9], ","))
	}
	return columns, nil
}

func normalise(s string) string {
	return strings.ToLower(strings.TrimSpace(strings.TrimPrefix(s, string(bom))))
}

// Next returns the next row, or io.EOF after the last. Rows whose cells are
// all empty (a spreadsheet's trailing rows) are skipped but still numbered;
// empty lines are not rows at all (encoding/csv skips them).
func (r *Reader) Next() (command.ImportRow, error) {
	for {
		record, err := r.csv.Read()
		if errors.Is(err, io.EOF) {
			return command.ImportRow{}, io.EOF
		}
		r.row++
		var perr *csv.ParseError
		if errors.As(err, &perr) {
			return r.malformed("", fmt.Sprintf("line %d, column %d: %v", perr.Line, perr.Column, perr.Err)), nil
		}
		if err != nil {
			return command.ImportRow{}, fmt.Errorf("read row %d: %w", r.row, err)
		}
		if blank(record) {
			continue
		}
		return r.parse(record), nil
	}
}

func (r *Reader) parse(record []string) command.ImportRow {
	if len(record) != len(r.columns) {
		return r.malformed("", fmt.Sprintf("has %d fields where the header has %d", len(record), len(r.columns)))
	}
	fields := make(map[string]string, len(r.columns))
	for i, col := range r.columns {
		if col == "" {
			continue
		}
		v := record[i]
		if !utf8.ValidString(v) {
			return r.malformed(col, fmt.Sprintf("column %d (%s) is not valid UTF-8", i+1, col))
		}
		fields[col] = strings.TrimSpace(v)
	}
	return command.ImportRow{Row: r.row, Fields: fields}
}

func (r *Reader) malformed(field, reason string) command.ImportRow {
	return command.ImportRow{Row: r.row, Rejection: []command.Failure{{Row: r.row, Field: field, Code: "malformed_row", Message: reason}}}
}

func blank(record []string) bool {
	for _, v := range record {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}
