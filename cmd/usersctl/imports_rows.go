package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"strings"

	"github.com/userservice/userservice/app"
	"github.com/userservice/userservice/app/query"
)

// originalRows prints a job's rejected rows as they were in the file (its
// header and cells) with an error column: the file to fix and import again.
func originalRows(ctx context.Context, application app.Application, e env, tenant, job string) error {
	q := query.ListImportFailures{TenantID: tenant, JobID: job, Limit: query.MaxFailuresPageSize, WithSource: true}
	out := csv.NewWriter(e.stdout)
	var (
		row    int
		cells  []string
		errs   []string
		header bool
	)
	flush := func() {
		if len(errs) > 0 && cells != nil {
			_ = out.Write(safe(append(append([]string(nil), cells...), strings.Join(errs, "; "))))
		}
		errs = nil
	}
	for {
		page, err := application.Queries.ListImportFailures.Handle(ctx, q)
		if err != nil {
			return notFound("imports failures", job, tenant, err)
		}
		if !header {
			if page.SourceHeader == nil {
				return fmt.Errorf("imports failures --rows: job %s did not keep its rows (import with --keep-rows)", job)
			}
			_ = out.Write(safe(append(page.SourceHeader, "error")))
			header = true
		}
		for _, f := range page.Failures {
			if f.Row != row {
				flush()
				row, cells = f.Row, f.Source
			}
			if f.Severity != "warning" {
				errs = append(errs, strings.TrimPrefix(f.Field+": ", ": ")+rootText(f)+" ("+f.Code+")")
			}
		}
		if page.Done || len(page.Failures) == 0 {
			flush()
			out.Flush()
			return out.Error()
		}
		last := page.Failures[len(page.Failures)-1]
		q.AfterRow, q.AfterSeq = last.Row, last.Seq
	}
}

func safe(cells []string) []string {
	out := make([]string, len(cells))
	for i, c := range cells {
		out[i] = spreadsheetSafe(c)
	}
	return out
}
