package httpapi

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"strings"

	"github.com/userservice/userservice/app/query"
)

// writeSourceRowsCSV streams the rejected rows of a job uploaded with
// keep_rows exactly as they were in the file (its header, its cells), with
// an error column saying why: the file to fix and upload again. Rows that
// were imported (warnings only) are left out.
func (h *handler) writeSourceRowsCSV(w http.ResponseWriter, r *http.Request, q query.ListImportFailures) error {
	q.Limit, q.WithSource = query.MaxFailuresPageSize, true
	page, err := h.app.Queries.ListImportFailures.Handle(r.Context(), q)
	if err != nil {
		return err
	}
	if page.SourceHeader == nil {
		return fmt.Errorf("%w: rows=original needs a job uploaded with keep_rows=true", query.ErrInvalidQuery)
	}
	hdr := w.Header()
	hdr.Set("Content-Type", mediaCSV+"; charset=utf-8")
	hdr.Set("Content-Disposition", `attachment; filename="import-`+q.JobID+`-rejected-rows.csv"`)
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	out := csv.NewWriter(w)
	_ = out.Write(safeCells(append(page.SourceHeader, "error")))
	rows := sourceRowWriter{out: out}
	for {
		for _, f := range page.Failures {
			rows.add(f)
		}
		if page.Done || len(page.Failures) == 0 {
			break
		}
		last := page.Failures[len(page.Failures)-1]
		q.AfterRow, q.AfterSeq = last.Row, last.Seq
		if page, err = h.app.Queries.ListImportFailures.Handle(r.Context(), q); err != nil {
			h.log.Error("rejected rows download broke off")
			break
		}
	}
	rows.flush()
	out.Flush()
	return nil
}

// sourceRowWriter gathers a row's errors (consecutive failures of one row)
// into its error cell.
type sourceRowWriter struct {
	out    *csv.Writer
	row    int
	cells  []string
	errors []string
}

func (s *sourceRowWriter) add(f query.ImportFailure) {
	if f.Row != s.row {
		s.flush()
		s.row, s.cells, s.errors = f.Row, f.Source, nil
	}
	if f.Severity == "warning" {
		return
	}
	msg := f.Message + " (" + f.Code + ")"
	if f.Field != "" {
		msg = f.Field + ": " + msg
	}
	if f.RootRow != 0 {
		msg += fmt.Sprintf("; root: row %d: %s (%s)", f.RootRow, f.RootMessage, f.RootCode)
	}
	s.errors = append(s.errors, msg)
}

func (s *sourceRowWriter) flush() {
	if len(s.errors) > 0 && s.cells != nil {
		_ = s.out.Write(safeCells(append(append([]string(nil), s.cells...), strings.Join(s.errors, "; "))))
	}
	s.errors = nil
}

func safeCells(cells []string) []string {
	out := make([]string, len(cells))
	for i, c := range cells {
		out[i] = spreadsheetSafe(c)
	}
	return out
}
