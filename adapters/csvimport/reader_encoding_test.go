package csvimport

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"

	"github.com/userservice/userservice/app/command"
)

// hrExport is a small export with the characters that break naive readers
// (accents, a quoted separator, a quoted line break), in a given separator.
func hrExport(sep string) string {
	rows := [][]string{
		{"external_id", "email", "given_name", "family_name", "title"},
		{"W1", "zoe@example.com", "Zoë", "Müller", `"Head of R&D` + sep + ` Europe"`},
		{"W2", "jose@example.com", "José", "Ørsted", `"Two` + "\r\n" + `lines"`},
	}
	var b strings.Builder
	for _, r := range rows {
		b.WriteString(strings.Join(r, sep) + "\r\n")
	}
	return b.String()
}

var wantExport = []command.ImportRow{
	{Row: 2, Fields: map[string]string{"external_id": "W1", "email": "zoe@example.com", "given_name": "Zoë", "family_name": "Müller", "title": "Head of R&D{sep} Europe"}},
	{Row: 3, Fields: map[string]string{"external_id": "W2", "email": "jose@example.com", "given_name": "José", "family_name": "Ørsted", "title": "Two\nlines"}},
}

func encodeWith(t *testing.T, enc encoding.Encoding, s string) []byte {
	t.Helper()
	if enc == nil {
		return []byte(s)
	}
	b, err := enc.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestReaderEncodingsAndSeparators reads the same export in every encoding
// and separator a spreadsheet program or HR system writes, named and
// detected.
func TestReaderEncodingsAndSeparators(t *testing.T) {
	t.Parallel()
	encodings := []struct {
		name  string
		enc   encoding.Encoding
		named string // what --encoding would say; "" = detected
	}{
		{"UTF-8", nil, ""},
		{"UTF-8 with BOM", unicode.UTF8BOM, ""},
		{"UTF-16LE with BOM", unicode.UTF16(unicode.LittleEndian, unicode.UseBOM), ""},
		{"UTF-16BE with BOM", unicode.UTF16(unicode.BigEndian, unicode.UseBOM), ""},
		{"UTF-16LE without BOM", unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), ""},
		{"Windows-1252 detected", charmap.Windows1252, ""},
		{"Windows-1252 named", charmap.Windows1252, "windows-1252"},
		{"ISO-8859-1 named", charmap.ISO8859_1, "latin1"},
		{"ISO-8859-1 detected", charmap.ISO8859_1, ""},
		{"UTF-16 named", unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), "utf-16"},
	}
	for _, e := range encodings {
		for _, sep := range []string{",", ";", "\t"} {
			for _, named := range []string{"", sep} {
				t.Run(e.name+" "+sep+" "+named, func(t *testing.T) {
					data := encodeWith(t, e.enc, hrExport(sep))
					delim, err := command.ParseDelimiter(named)
					if err != nil {
						t.Fatal(err)
					}
					r, err := NewReader(bytes.NewReader(data), command.ImportOptions{Encoding: e.named, Delimiter: delim})
					if err != nil {
						t.Fatalf("NewReader: %v", err)
					}
					got := drain(t, r)
					want := make([]command.ImportRow, len(wantExport))
					for i, w := range wantExport {
						f := map[string]string{}
						for k, v := range w.Fields {
							f[k] = strings.ReplaceAll(v, "{sep}", sep)
						}
						want[i] = command.ImportRow{Row: w.Row, Fields: f}
					}
					if !reflect.DeepEqual(got, want) {
						t.Errorf("rows:\n got %+v\nwant %+v", got, want)
					}
				})
			}
		}
	}
}

// TestReaderRowNumbersAreSpreadsheetRows: blank lines count, a record with
// quoted line breaks is one row, as a spreadsheet shows the file.
func TestReaderRowNumbersAreSpreadsheetRows(t *testing.T) {
	t.Parallel()
	in := "email,title\n" + // 1
		"a@example.com,x\n" + // 2
		"\n" + // 3 (blank)
		"b@example.com,\"one\ntwo\nthree\"\n" + // 4
		"\r\n" + // 5 (blank)
		"\n" + // 6 (blank)
		"c@example.com,\"q\"\"\"\n" + // 7
		",\n" + // 8 (empty cells)
		"d@example.com,y\n" // 9
	got := readAll(t, in, command.ImportOptions{})
	var rows []int
	for _, r := range got {
		rows = append(rows, r.Row)
	}
	if !reflect.DeepEqual(rows, []int{2, 4, 7, 9}) {
		t.Fatalf("rows %v, want [2 4 7 9]", rows)
	}
}

// TestReaderCapsFields refuses a file with a field over the cap, naming the
// spreadsheet row, column and header name, and a row over its cap.
func TestReaderCapsFields(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 200)
	in := "email,Notes\n\na@example.com,short\nb@example.com,\"" + long + "\"\n"
	r, err := newReader(strings.NewReader(in), command.ImportOptions{}, ReaderConfig{MaxFieldBytes: 100, MaxRowBytes: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var last error
	for range 10 {
		if _, last = r.Next(); last != nil {
			break
		}
	}
	var tooLong *FieldTooLongError
	if !errors.Is(last, command.ErrInvalidImportFile) || !errors.As(last, &tooLong) ||
		!strings.Contains(last.Error(), `row 4, column 2 ("Notes"): a field is longer than 100 bytes`) {
		t.Fatalf("err = %v", last)
	}
	r, err = newReader(strings.NewReader("email\n"+strings.Repeat("aa,", 600)+"\n"), command.ImportOptions{}, ReaderConfig{MaxFieldBytes: 100, MaxRowBytes: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Next(); !errors.Is(err, command.ErrInvalidImportFile) || !strings.Contains(err.Error(), "row 2 is longer than 1000 bytes") {
		t.Fatalf("long row: err = %v", err)
	}
}

func drain(t *testing.T, r *Reader) []command.ImportRow {
	t.Helper()
	var rows []command.ImportRow
	for {
		row, err := r.Next()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				t.Fatalf("Next: %v", err)
			}
			return rows
		}
		rows = append(rows, row)
	}
}
