package httpapi

import (
	"strconv"
	"time"

	"github.com/userservice/userservice/app/query"
)

// importResource is an import job as the API shows it.
type importResource struct {
	ID        string  `json:"id"`
	Source    string  `json:"source"`
	Status    string  `json:"status"`
	Error     *string `json:"error"`
	Total     *int    `json:"total"`
	Processed int     `json:"processed"`
	Created   int     `json:"created"`
	Updated   int     `json:"updated"`
	Unchanged int     `json:"unchanged"`
	Skipped   int     `json:"skipped"`
	Rejected  int     `json:"rejected"`
	Parked    int     `json:"parked"`
	Progress  float64 `json:"progress"`
	// State is queueing, queued, applying, waiting for managers or done.
	State string `json:"state"`
	// EstimatedSecondsLeft is from the rate so far (null: nothing to go on).
	EstimatedSecondsLeft *int `json:"estimated_seconds_left"`
	// Warnings counts the warnings (rows imported with something to know);
	// FailureCodes and WarningCodes count per code.
	Warnings     int            `json:"warnings"`
	FailureCodes map[string]int `json:"failure_codes"`
	WarningCodes map[string]int `json:"warning_codes"`
	// Summary says in one line that every row failed for one reason.
	Summary    string      `json:"summary,omitempty"`
	CreatedAt  time.Time   `json:"created_at"`
	StartedAt  *time.Time  `json:"started_at"`
	FinishedAt *time.Time  `json:"finished_at"`
	Links      importLinks `json:"links"`
}

type importLinks struct {
	Self     string `json:"self"`
	Failures string `json:"failures"`
	Parked   string `json:"parked"`
}

func newImportResource(j query.ImportJob) importResource {
	self := "/v1/imports/" + j.ID
	r := importResource{ID: j.ID, Source: j.Source, Status: j.Status, Error: nullable(j.Error), Total: j.Total,
		Processed: j.Processed(), Created: j.Created, Updated: j.Updated, Unchanged: j.Unchanged, Skipped: j.Skipped,
		Rejected: j.Rejected, Parked: j.Parked, Progress: j.Progress(), CreatedAt: j.CreatedAt.UTC(),
		StartedAt: j.StartedAt, FinishedAt: j.FinishedAt,
		Links: importLinks{Self: self, Failures: self + "/failures", Parked: self + "/parked"},
		State: j.State(), Warnings: j.Warnings, FailureCodes: nonNil(j.FailureCodes), WarningCodes: nonNil(j.WarningCodes),
		Summary: j.OneReason}
	if left, ok := j.Remaining(time.Now()); ok {
		secs := int(left.Seconds())
		r.EstimatedSecondsLeft = &secs
	}
	return r
}

func nonNil(m map[string]int) map[string]int {
	if m == nil {
		return map[string]int{}
	}
	return m
}

type failureResource struct {
	Row        int    `json:"row"`
	Field      string `json:"field"`
	Code       string `json:"code"`
	Message    string `json:"message"`
	Severity   string `json:"severity"`
	Value      string `json:"value"`
	ExternalID string `json:"external_id"`
	Email      string `json:"email"`
	// Root* name the row where a chain of managers' rows not imported
	// began, and its reason (absent otherwise).
	RootRow     int    `json:"root_row,omitempty"`
	RootCode    string `json:"root_code,omitempty"`
	RootMessage string `json:"root_message,omitempty"`
}

type failurePage struct {
	Failures   []failureResource `json:"failures"`
	NextCursor string            `json:"next_cursor,omitempty"`
}

func newFailurePage(p query.FailurePage) failurePage {
	out := failurePage{Failures: make([]failureResource, len(p.Failures))}
	for i, f := range p.Failures {
		out.Failures[i] = failureResource{Row: f.Row, Field: f.Field, Code: f.Code, Message: f.Message, Severity: f.Severity,
			Value: f.Value, ExternalID: f.ExternalID, Email: f.Email, RootRow: f.RootRow, RootCode: f.RootCode, RootMessage: f.RootMessage}
	}
	if !p.Done && len(p.Failures) > 0 {
		last := p.Failures[len(p.Failures)-1]
		out.NextCursor = strconv.Itoa(last.Row) + "." + strconv.Itoa(last.Seq)
	}
	return out
}

type parkedResource struct {
	Row        int        `json:"row"`
	Error      string     `json:"error"`
	ParkedAt   time.Time  `json:"parked_at"`
	RequeuedAt *time.Time `json:"requeued_at"`
}

type parkedList struct {
	Parked []parkedResource `json:"parked"`
}

func newParkedList(rows []query.ParkedImportRow) parkedList {
	out := parkedList{Parked: make([]parkedResource, len(rows))}
	for i, r := range rows {
		out.Parked[i] = parkedResource{Row: r.Row, Error: r.Error, ParkedAt: r.ParkedAt.UTC(), RequeuedAt: r.RequeuedAt}
	}
	return out
}
