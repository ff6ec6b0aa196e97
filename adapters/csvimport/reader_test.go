package csvimport

import (
	"context"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/userservice/userservice/app/command"
)

func readAll(t *testing.T, in string, opts command.ImportOptions) []command.ImportRow {
	t.Helper()
	r, err := NewReader(strings.NewReader(in), opts)
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	var rows []command.ImportRow
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			return rows
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		rows = append(rows, row)
	}
}

func TestReaderEdgeCases(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		in       string
		mapping  map[string]string
		encoding string
		want     []command.ImportRow
	}{
		{
			name: "BOM, CRLF and case-insensitive headers",
			in:   "\xEF\xBB\xBFExternal_ID,EMAIL, Given_Name \r\nE1,ada@example.com,Ada\r\n",
			want: []command.ImportRow{{Row: 2, Fields: map[string]string{"external_id": "E1", "email": "ada@example.com", "given_name": "Ada"}}},
		},
		{
			name: "quoted fields with commas, quotes and line breaks; cells trimmed",
			in:   "external_id,title,department\nE1,\"Head of \"\"R&D\"\", Europe\",\"Line\nbreak\"\nE2, Sales ,\"  \"\n",
			want: []command.ImportRow{
				{Row: 2, Fields: map[string]string{"external_id": "E1", "title": `Head of "R&D", Europe`, "department": "Line\nbreak"}},
				{Row: 3, Fields: map[string]string{"external_id": "E2", "title": "Sales", "department": ""}},
			},
		},
		{
			name:    "column mapping for another HR export; unknown columns ignored",
			in:      "Employee No,Work Email,First,Cost Centre\n7,b@example.com,Bob,42\n",
			mapping: map[string]string{"external_id": "employee no", "Email": "Work Email", "given_name": "FIRST"},
			want:    []command.ImportRow{{Row: 2, Fields: map[string]string{"external_id": "7", "email": "b@example.com", "given_name": "Bob"}}},
		},
		{
			name:     "malformed rows rejected with row, column and reason; the rest still read",
			encoding: "utf-8",
			in:       "external_id,email\nE1,a@example.com\nE2\nE3,b\"ad@example.com\nE4,\xff@example.com\nE5,c@example.com\n",
			want: []command.ImportRow{
				{Row: 2, Fields: map[string]string{"external_id": "E1", "email": "a@example.com"}},
				{Row: 3, Rejection: []command.Failure{{Row: 3, Code: "malformed_row", Message: "has 1 fields where the header has 2"}}},
				{Row: 4, Rejection: []command.Failure{{Row: 4, Code: "malformed_row", Message: `line 4, column 5: bare " in non-quoted-field`}}},
				{Row: 5, Rejection: []command.Failure{{Row: 5, Field: "email", Code: "malformed_row", Message: "column 2 (email) is not valid UTF-8"}}},
				{Row: 6, Fields: map[string]string{"external_id": "E5", "email": "c@example.com"}},
			},
		},
		{
			name: "rows of blank cells and empty lines skipped but counted, as a spreadsheet shows them",
			in:   "email\n\n , \nx@example.com\n",
			want: []command.ImportRow{{Row: 4, Fields: map[string]string{"email": "x@example.com"}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := readAll(t, tt.in, command.ImportOptions{Mapping: tt.mapping, Encoding: tt.encoding, UpdateOnly: true}); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("rows:\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestReaderRejectsUnusableHeaders(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		in      string
		mapping map[string]string
		want    string
	}{
		"empty":              {"", nil, "empty"},
		"no key column":      {"given_name,family_name\nA,B\n", nil, "neither external_id nor email"},
		"duplicate column":   {"email,EMAIL\n", nil, `column "email" twice`},
		"unknown mapping":    {"email\n", map[string]string{"salary": "email"}, `"salary", which is not an import column`},
		"mapped name absent": {"email\n", map[string]string{"external_id": "Personnel No"}, `"Personnel No", which the header does not have`},
	} {
		_, err := NewReader(strings.NewReader(tc.in), command.ImportOptions{Mapping: tc.mapping})
		if !errors.Is(err, command.ErrInvalidImportFile) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want ErrInvalidImportFile mentioning %q", name, err, tc.want)
		}
	}
}

func TestFormatStreamsOnceWithinTheLimit(t *testing.T) {
	t.Parallel()
	f, err := NewFormat(Config{MaxBytes: 64})
	if err != nil {
		t.Fatal(err)
	}
	file, err := f.Open(context.Background(), strings.NewReader("email\na@example.com\n"), command.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := file.Rows()
	if err != nil {
		t.Fatal(err)
	}
	if r, err := rows.Next(); err != nil || r.Fields["email"] != "a@example.com" {
		t.Fatalf("%+v, %v", r, err)
	}
	if _, err := file.Rows(); err == nil {
		t.Fatal("a second pass over a streamed upload")
	}
	if err := file.Close(); err != nil {
		t.Fatal(err)
	}
	big, err := f.Open(context.Background(), strings.NewReader("email\n"+strings.Repeat("x@example.com\n", 10)), command.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rows, _ = big.Rows()
	for err == nil {
		_, err = rows.Next()
	}
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("oversized file: err = %v, want ErrTooLarge", err)
	}
	if _, err := f.Open(context.Background(), strings.NewReader("name\nx\n"), command.ImportOptions{}); !errors.Is(err, command.ErrInvalidImportFile) {
		t.Fatalf("bad header: err = %v", err)
	}
}
