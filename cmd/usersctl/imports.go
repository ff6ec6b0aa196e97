package main

import (
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/app/query"
)

// jobArgs parses `imports <sub> JOB --tenant ID` plus the flags add defines.
func jobArgs(name string, args []string, e env, add func(fs *flag.FlagSet)) (job, tenant string, err error) {
	fs := newFlagSet(name)
	t := fs.String("tenant", "", "the tenant's id (required)")
	if add != nil {
		add(fs)
	}
	pos, err := parseWithArgs(fs, args, e)
	if err != nil {
		return "", "", err
	}
	var problems []string
	if len(pos) != 1 {
		problems = append(problems, fmt.Sprintf("want one JOB id, got %d", len(pos)))
	} else if err := checkUUID("JOB", pos[0]); err != nil {
		problems = append(problems, err.Error())
	}
	if err := checkUUID("--tenant", *t); err != nil {
		problems = append(problems, err.Error())
	}
	if len(problems) > 0 {
		return "", "", usageError("%s: %s", name, strings.Join(problems, "; "))
	}
	return pos[0], *t, nil
}

// notFound names the job and tenant for a missing job.
func notFound(name, job, tenant string, err error) error {
	if errors.Is(err, query.ErrImportNotFound) {
		return fmt.Errorf("%s: no import job %s in tenant %s", name, job, tenant)
	}
	return fmt.Errorf("%s: %w", name, err)
}

// importsRetry queues a job's parked rows again through RetryImport.
func importsRetry(ctx context.Context, args []string, e env) error {
	job, tenant, err := jobArgs("imports retry", args, e, nil)
	if err != nil {
		return err
	}
	application, closeDB, err := openApplication(ctx, e)
	if err != nil {
		return err
	}
	defer closeDB()
	n, err := application.Commands.RetryImport.Handle(ctx, command.RetryImport{TenantID: tenant, JobID: job})
	if err != nil {
		return notFound("imports retry", job, tenant, err)
	}
	fmt.Fprintf(e.stdout, "requeued %d parked rows of import job %s\n", n, job)
	return nil
}

// importsShow prints a job's status and counts.
func importsShow(ctx context.Context, args []string, e env) error {
	job, tenant, err := jobArgs("imports show", args, e, nil)
	if err != nil {
		return err
	}
	application, closeDB, err := openApplication(ctx, e)
	if err != nil {
		return err
	}
	defer closeDB()
	j, err := application.Queries.GetImport.Handle(ctx, query.GetImport{TenantID: tenant, JobID: job})
	if err != nil {
		return notFound("imports show", job, tenant, err)
	}
	total := "(still queueing)"
	if j.Total != nil {
		total = strconv.Itoa(*j.Total)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	for _, kv := range [][2]string{
		{"id", j.ID}, {"source", j.Source}, {"actor", j.Actor}, {"status", j.Status}, {"error", j.Error},
		{"total", total}, {"processed", fmt.Sprintf("%d (%.0f%%)", j.Processed(), 100*j.Progress())},
		{"created", strconv.Itoa(j.Created)}, {"updated", strconv.Itoa(j.Updated)},
		{"unchanged", strconv.Itoa(j.Unchanged)}, {"skipped", strconv.Itoa(j.Skipped)},
		{"rejected", strconv.Itoa(j.Rejected)}, {"parked", strconv.Itoa(j.Parked)},
		{"state", j.State()}, {"warnings", strconv.Itoa(j.Warnings)},
		{"codes", codeCounts(j.FailureCodes)}, {"warn_codes", codeCounts(j.WarningCodes)},
		{"summary", j.OneReason},
		{"created_at", timeText(&j.CreatedAt)}, {"started_at", timeText(j.StartedAt)}, {"finished_at", timeText(j.FinishedAt)},
	} {
		fmt.Fprintf(tw, "%s\t%s\n", kv[0], kv[1])
	}
	return tw.Flush()
}

func timeText(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// importsFailures prints every rejection of a job, as a table or CSV.
func importsFailures(ctx context.Context, args []string, e env) error {
	var asCSV, original *bool
	job, tenant, err := jobArgs("imports failures", args, e, func(fs *flag.FlagSet) {
		asCSV = fs.Bool("csv", false, "print CSV (row,field,code,message,...)")
		original = fs.Bool("rows", false, "print the rejected rows as they were in the file, with an error column (jobs imported with --keep-rows)")
	})
	if err != nil {
		return err
	}
	application, closeDB, err := openApplication(ctx, e)
	if err != nil {
		return err
	}
	defer closeDB()
	if *original {
		return originalRows(ctx, application, e, tenant, job)
	}
	out := newFailureWriter(e.stdout, *asCSV)
	q := query.ListImportFailures{TenantID: tenant, JobID: job, Limit: query.MaxFailuresPageSize}
	for {
		page, err := application.Queries.ListImportFailures.Handle(ctx, q)
		if err != nil {
			return notFound("imports failures", job, tenant, err)
		}
		for _, f := range page.Failures {
			out.write(f)
		}
		if page.Done || len(page.Failures) == 0 {
			return out.flush()
		}
		last := page.Failures[len(page.Failures)-1]
		q.AfterRow, q.AfterSeq = last.Row, last.Seq
	}
}

// failureWriter writes failures as a table or as CSV.
type failureWriter struct {
	csv   *csv.Writer
	table *tabwriter.Writer
}

func newFailureWriter(w io.Writer, asCSV bool) failureWriter {
	if asCSV {
		c := csv.NewWriter(w)
		_ = c.Write([]string{"row", "field", "code", "message", "severity", "value", "external_id", "email", "root_row", "root_reason"})
		return failureWriter{csv: c}
	}
	t := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(t, "ROW\tSEVERITY\tEXTERNAL_ID\tEMAIL\tFIELD\tVALUE\tCODE\tMESSAGE")
	return failureWriter{table: t}
}

func (w failureWriter) write(f query.ImportFailure) {
	if w.csv != nil {
		root, reason := "", ""
		if f.RootRow != 0 {
			root, reason = strconv.Itoa(f.RootRow), f.RootMessage+" ("+f.RootCode+")"
		}
		_ = w.csv.Write([]string{strconv.Itoa(f.Row), spreadsheetSafe(f.Field), spreadsheetSafe(f.Code), spreadsheetSafe(f.Message),
			f.Severity, spreadsheetSafe(f.Value), spreadsheetSafe(f.ExternalID), spreadsheetSafe(f.Email), root, spreadsheetSafe(reason)})
		return
	}
	fmt.Fprintf(w.table, "%d\t%s\t%s\t%s\t%s\t%q\t%s\t%s\n", f.Row, f.Severity, f.ExternalID, f.Email, f.Field, f.Value, f.Code, rootText(f))
}

// rootText is a failure's message with the root of its chain, if any.
func rootText(f query.ImportFailure) string {
	if f.RootRow == 0 {
		return f.Message
	}
	return fmt.Sprintf("%s; root: row %d: %s (%s)", f.Message, f.RootRow, f.RootMessage, f.RootCode)
}

// codeCounts lists counts per code, largest first, e.g. "duplicate_row: 376, invalid_format: 2".
func codeCounts(m map[string]int) string {
	codes := make([]string, 0, len(m))
	for c := range m {
		codes = append(codes, c)
	}
	sort.Slice(codes, func(a, b int) bool {
		if m[codes[a]] != m[codes[b]] {
			return m[codes[a]] > m[codes[b]]
		}
		return codes[a] < codes[b]
	})
	parts := make([]string, len(codes))
	for i, c := range codes {
		parts[i] = fmt.Sprintf("%s: %d", c, m[c])
	}
	return strings.Join(parts, ", ")
}

func (w failureWriter) flush() error {
	if w.csv != nil {
		w.csv.Flush()
		return w.csv.Error()
	}
	return w.table.Flush()
}

// spreadsheetSafe keeps a spreadsheet from running a message that quotes a
// row's value as a formula.
func spreadsheetSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
