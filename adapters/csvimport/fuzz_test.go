package csvimport

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/userservice/userservice/app/command"
)

// FuzzReader feeds arbitrary bytes to the reader: it must never panic, number
// rows strictly upwards, and hand out only known columns with trimmed UTF-8
// values, or a rejection saying why.
func FuzzReader(f *testing.F) {
	for _, seed := range []string{
		"external_id,email\nE1,a@example.com\n",
		"\xEF\xBB\xBFEMAIL\r\n\"quoted, value\"\r\n",
		"email,title\n\"unterminated\n",
		"email\n\xff\xfe\n",
		"email,email\n",
		"email\na,b,c\n\n\n,\n",
		"external_id,manager_external_id,status\nE1,E2,deactivated\nE2,,active\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewReader(bytes.NewReader(data), command.ImportOptions{})
		if err != nil {
			if !errors.Is(err, command.ErrInvalidImportFile) {
				t.Fatalf("header error %v is not ErrInvalidImportFile", err)
			}
			return
		}
		last := 1
		for i := 0; i < 10000; i++ {
			row, err := r.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				t.Fatalf("Next: %v", err)
			}
			if row.Row <= last {
				t.Fatalf("row %d after row %d", row.Row, last)
			}
			last = row.Row
			if row.Rejection != nil {
				if row.Fields != nil || row.Rejection[0].Message == "" {
					t.Fatalf("rejected row %+v", row)
				}
				continue
			}
			for col, v := range row.Fields {
				if !slices.Contains(command.ImportColumns, col) || !utf8.ValidString(v) || v != strings.TrimSpace(v) {
					t.Fatalf("field %q = %q", col, v)
				}
			}
		}
	})
}
