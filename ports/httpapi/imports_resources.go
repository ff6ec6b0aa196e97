package httpapi

import (
	"strconv"
	"time"

	"github.com/userservice/userservice/app/query"
)

// importResource is an import job as the API shows it.
type importResource struct {
	ID         string      `json:"id"`
	Source     string      `json:"source"`
	Status     string      `json:"status"`
	Error      *string     `json:"error"`
	Total      *int        `json:"total"`
	Processed  int         `json:"processed"`
	Created    int         `json:"created"`
	Updated    int         `json:"updated"`
	Unchanged  int         `json:"unchanged"`
	Skipped    int         `json:"skipped"`
	Rejected   int         `json:"rejected"`
	Parked     int         `json:"parked"`
	Progress   float64     `json:"progress"`
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
	return importResource{ID: j.ID, Source: j.Source, Status: j.Status, Error: nullable(j.Error), Total: j.Total,
		Processed: j.Processed(), Created: j.Created, Updated: j.Updated, Unchanged: j.Unchanged, Skipped: j.Skipped,
		Rejected: j.Rejected, Parked: j.Parked, Progress: j.Progress(), CreatedAt: j.CreatedAt.UTC(),
		StartedAt: j.StartedAt, FinishedAt: j.FinishedAt,
		Links: importLinks{Self: self, Failures: self + "/failures", Parked: self + "/parked"}}
}

type failureResource struct {
	Row     int    `json:"row"`
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

type failurePage struct {
	Failures   []failureResource `json:"failures"`
	NextCursor string            `json:"next_cursor,omitempty"`
}

func newFailurePage(p query.FailurePage) failurePage {
	out := failurePage{Failures: make([]failureResource, len(p.Failures))}
	for i, f := range p.Failures {
		out.Failures[i] = failureResource{Row: f.Row, Field: f.Field, Code: f.Code, Message: f.Message}
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
