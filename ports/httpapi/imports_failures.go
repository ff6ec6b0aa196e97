package httpapi

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/gorilla/mux"

	"github.com/userservice/userservice/app/auth"
	"github.com/userservice/userservice/app/query"
)

// listImportFailures handles GET /v1/imports/{id}/failures: a page of JSON,
// or with ?format=csv (or Accept: text/csv) every failure as a CSV download.
func (h *handler) listImportFailures(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	q := query.ListImportFailures{TenantID: p.TenantID, JobID: mux.Vars(r)["id"]}
	format := r.URL.Query().Get("format")
	// rows is checked whatever the format: a JSON request with rows=AAA is
	// as wrong as a CSV one (the contract run sent it).
	rows := r.URL.Query().Get("rows")
	if rows != "" && rows != "original" {
		return fmt.Errorf("%w: rows must be original", query.ErrInvalidQuery)
	}
	// So are limit and cursor, which only a JSON page uses.
	paged, err := withFailurePage(r, q)
	if err != nil {
		return err
	}
	if format == "csv" || (format == "" && strings.Contains(r.Header.Get("Accept"), mediaCSV)) {
		if rows == "original" {
			return h.writeSourceRowsCSV(w, r, q)
		}
		return h.writeFailuresCSV(w, r, q)
	}
	if format != "" && format != "json" {
		return fmt.Errorf("%w: format must be json or csv", query.ErrInvalidQuery)
	}
	page, err := h.app.Queries.ListImportFailures.Handle(r.Context(), paged)
	if err != nil {
		return err
	}
	h.writeJSON(w, r, http.StatusOK, newFailurePage(page), nil)
	return nil
}

// withFailurePage reads a JSON page's limit and cursor into q.
func withFailurePage(r *http.Request, q query.ListImportFailures) (query.ListImportFailures, error) {
	var err error
	if q.Limit, err = intParam(r.URL.Query(), "limit", 1); err != nil {
		return q, err
	}
	if c := r.URL.Query().Get("cursor"); c != "" {
		row, seq, ok := strings.Cut(c, ".")
		q.AfterRow, err = strconv.Atoi(row)
		if err == nil {
			q.AfterSeq, err = strconv.Atoi(seq)
		}
		if !ok || err != nil {
			return q, fmt.Errorf("%w: cursor %q was not issued by this service", query.ErrInvalidQuery, c)
		}
	}
	return q, nil
}

// writeFailuresCSV streams every failure, a page at a time. The first page is
// read before anything is written, so a missing job is still a clean 404.
func (h *handler) writeFailuresCSV(w http.ResponseWriter, r *http.Request, q query.ListImportFailures) error {
	q.Limit = query.MaxFailuresPageSize
	page, err := h.app.Queries.ListImportFailures.Handle(r.Context(), q)
	if err != nil {
		return err
	}
	hdr := w.Header()
	hdr.Set("Content-Type", mediaCSV+"; charset=utf-8")
	hdr.Set("Content-Disposition", `attachment; filename="import-`+q.JobID+`-failures.csv"`)
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	out := csv.NewWriter(w)
	_ = out.Write(failureCSVHeader)
	for {
		for _, f := range page.Failures {
			_ = out.Write(failureCSVRecord(f))
		}
		if page.Done || len(page.Failures) == 0 {
			break
		}
		last := page.Failures[len(page.Failures)-1]
		q.AfterRow, q.AfterSeq = last.Row, last.Seq
		if page, err = h.app.Queries.ListImportFailures.Handle(r.Context(), q); err != nil {
			// Too late for a problem: the client sees a cut download.
			h.log.Error("failures download broke off")
			break
		}
	}
	out.Flush()
	return nil
}

// spreadsheetSafe defuses formula injection (CWE-1236): a cell a spreadsheet
// would evaluate (starting with =, +, -, @, tab or carriage return) gets a
// leading apostrophe, which spreadsheets show as text. Messages quote the
// uploaded data, so they are untrusted.
func spreadsheetSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// failureCSVHeader are the columns of a failures download (the first four
// as they always were).
var failureCSVHeader = []string{"row", "field", "code", "message", "severity", "value", "external_id", "email", "root_row", "root_reason"}

func failureCSVRecord(f query.ImportFailure) []string {
	root, reason := "", ""
	if f.RootRow != 0 {
		root, reason = strconv.Itoa(f.RootRow), f.RootMessage+" ("+f.RootCode+")"
	}
	return []string{strconv.Itoa(f.Row), spreadsheetSafe(f.Field), spreadsheetSafe(f.Code), spreadsheetSafe(f.Message),
		f.Severity, spreadsheetSafe(f.Value), spreadsheetSafe(f.ExternalID), spreadsheetSafe(f.Email), root, spreadsheetSafe(reason)}
}
