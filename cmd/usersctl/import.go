package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/userservice/userservice/app"
	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/app/query"
	"github.com/userservice/userservice/cmd/internal/service"
)

const importUsage = `  import FILE --tenant ID [--map COLUMN=Header]... [--map-value COLUMN:VALUE=NEW]...
         [--derive COLUMN=TEMPLATE]... [--encoding E] [--delimiter D] [--update-only]
         [--missing-manager ignore|reject] [--dry-run] [--wait] [--fail-on rejected|parked|never]
                                                   import users from a CSV file; prints the job id.
                                                   --map reads COLUMN (external_id, email, ...)
                                                   from the file's column Header; --dry-run
                                                   reports what it would do and writes nothing;
                                                   --wait shows progress and the outcome, exit 1
                                                   when rows were rejected or parked (--fail-on)
  imports show JOB --tenant ID                     an import job's status and counts
  imports failures JOB --tenant ID [--csv]         an import job's rejected rows and warnings
  imports retry JOB --tenant ID                    queue an import job's parked rows again`

// importPollInterval is how often --wait reads the job.
const importPollInterval = 500 * time.Millisecond

// maxFailuresShown bounds the rejections --wait prints; `imports failures`
// lists them all.
const maxFailuresShown = 20

// importCmd queues a CSV file's rows through the StartImport use case. The
// file is handed over as it is read; the job id goes alone to stdout.
func importCmd(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("import")
	tenant := fs.String("tenant", "", "the tenant's id (required)")
	wait := fs.Bool("wait", false, "wait for the job to finish, showing progress on stderr")
	mapping := map[string]string{}
	fs.Func("map", "COLUMN=Header: read an import column from the file's column Header (repeatable)", func(v string) error {
		col, header, ok := strings.Cut(v, "=")
		if col, header = strings.TrimSpace(col), strings.TrimSpace(header); !ok || col == "" || header == "" {
			return fmt.Errorf("want COLUMN=Header, got %q", v)
		}
		mapping[col] = header
		return nil
	})
	var opts command.ImportOptions
	fs.Func("encoding", "the file's encoding: utf-8, utf-16, utf-16le, utf-16be, windows-1252, iso-8859-1 (default: detected)", func(v string) (err error) {
		opts.Encoding, err = command.ParseEncoding(v)
		return err
	})
	fs.Func("delimiter", "the field separator: comma, semicolon, tab or pipe (default: sniffed from the header)", func(v string) (err error) {
		opts.Delimiter, err = command.ParseDelimiter(v)
		return err
	})
	fs.Func("missing-manager", "ignore (default: import without the manager, with a warning) or reject a row whose manager is not found", func(v string) (err error) {
		opts.MissingManager, err = command.ParseMissingManager(v)
		return err
	})
	fs.Func("map-value", "COLUMN:VALUE=NEW: import VALUE of COLUMN (any case) as NEW, e.g. status:Inactive=deactivated (repeatable)", opts.ParseValueMap)
	fs.Func("derive", "COLUMN=TEMPLATE: build COLUMN where the file has none, e.g. 'email={WorkerID}@corp.example' ({Header} is a cell; {{ and }} are braces)", opts.ParseDerivation)
	fs.BoolVar(&opts.UpdateOnly, "update-only", false, "the file has no e-mail address: it only updates users found by external id")
	fs.BoolVar(&opts.KeepRows, "keep-rows", false, "keep the original rows, so `imports failures JOB --rows` can give back the rejected ones as they were")
	dryRun := fs.Bool("dry-run", false, "report what the import would do (counts, failures, warnings) and write nothing")
	failOn := failRejected
	fs.Func("fail-on", "when to exit 1: rejected (default: rows rejected or parked), parked (only parked rows), never (only a failed job)",
		func(v string) (err error) { failOn, err = parseFailOn(v); return err })
	files, err := parseWithArgs(fs, args, e)
	if err != nil {
		return err
	}
	var problems []string
	if len(files) != 1 {
		problems = append(problems, fmt.Sprintf("want one FILE, got %d", len(files)))
	}
	if err := checkUUID("--tenant", *tenant); err != nil {
		problems = append(problems, err.Error())
	}
	if len(problems) > 0 {
		return usageError("import: %s", strings.Join(problems, "; "))
	}
	if len(mapping) > 0 {
		opts.Mapping = mapping
	}
	f, err := os.Open(files[0])
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	defer f.Close()

	application, closeDB, err := openApplication(ctx, e)
	if err != nil {
		return err
	}
	defer closeDB()
	fmt.Fprintf(e.stderr, "reading %s\n", files[0])
	started, err := application.Commands.StartImport.Handle(ctx, command.StartImport{TenantID: *tenant, Actor: "usersctl",
		Body: f, Options: opts, DryRun: *dryRun})
	var mappingErr *command.ImportMappingError
	if errors.As(err, &mappingErr) {
		printMappingError(e.stderr, mappingErr)
	}
	if err != nil {
		return fmt.Errorf("import %s: %w", files[0], err)
	}
	if started.DryRun != nil {
		return printDryRun(e, started.DryRun, failOn)
	}
	fmt.Fprintln(e.stdout, started.JobID)
	fmt.Fprintf(e.stderr, "queued %d rows as import job %s\n", started.Total, started.JobID)
	if !*wait {
		return nil
	}
	job, err := waitForImport(ctx, application, *tenant, started.JobID, e.stderr)
	if err != nil {
		return fmt.Errorf("import: waiting for job %s: %w (the import goes on: usersctl imports show %[2]s --tenant %s)",
			started.JobID, err, *tenant)
	}
	printSummary(e.stdout, job)
	return importOutcome(ctx, application, job, e.stderr, failOn)
}

// waitForImport polls the job until it is finished, drawing its progress.
func waitForImport(ctx context.Context, application app.Application, tenant, jobID string, w io.Writer) (query.ImportJob, error) {
	start := time.Now()
	first := -1
	tick := time.NewTicker(importPollInterval)
	defer tick.Stop()
	bar := newImportProgress(w)
	for {
		job, err := application.Queries.GetImport.Handle(ctx, query.GetImport{TenantID: tenant, JobID: jobID})
		if err != nil {
			return job, err
		}
		if first < 0 {
			first = job.Processed()
		}
		rate := 0.0
		if secs := time.Since(start).Seconds(); secs > 0 {
			rate = float64(job.Processed()-first) / secs
		}
		bar.draw(job, rate)
		if job.Finished() {
			bar.finish()
			return job, nil
		}
		select {
		case <-ctx.Done():
			bar.finish()
			return job, ctx.Err()
		case <-tick.C:
		}
	}
}

func printSummary(w io.Writer, j query.ImportJob) {
	fmt.Fprintf(w, "%s %s: created %d, updated %d, unchanged %d, skipped %d, rejected %d, parked %d\n",
		j.ID, j.Status, j.Created, j.Updated, j.Unchanged, j.Skipped, j.Rejected, j.Parked)
}

// importOutcome is nil for a clean job. For one with rejected or parked rows
// it lists the first rejections (row, field, reason) and says what to run.
func importOutcome(ctx context.Context, application app.Application, j query.ImportJob, stderr io.Writer, failOn failPolicy) error {
	switch {
	case j.Status == "failed":
		return fmt.Errorf("import job %s failed: %s", j.ID, j.Error)
	case j.Rejected == 0 && j.Parked == 0 && j.Status == "completed" && j.Warnings == 0:
		return nil
	}
	if j.OneReason != "" {
		fmt.Fprintln(stderr, j.OneReason)
	}
	if j.Rejected > 0 {
		page, err := application.Queries.ListImportFailures.Handle(ctx, query.ListImportFailures{TenantID: j.TenantID,
			JobID: j.ID, Limit: maxFailuresShown})
		if err != nil {
			return fmt.Errorf("import job %s completed with errors; listing them: %w", j.ID, err)
		}
		for _, f := range page.Failures {
			fmt.Fprintln(stderr, failureLine(f))
		}
		if !page.Done {
			fmt.Fprintf(stderr, "... (only the first %d shown)\n", len(page.Failures))
		}
	}
	hint := fmt.Sprintf("usersctl imports failures %s --tenant %s", j.ID, j.TenantID)
	if j.Parked > 0 {
		hint += fmt.Sprintf("; usersctl imports retry %s --tenant %s queues the parked rows again", j.ID, j.TenantID)
	}
	if j.Warnings > 0 {
		fmt.Fprintf(stderr, "%d warnings (%s)\n", j.Warnings, codeCounts(j.WarningCodes))
	}
	if j.Rejected > 0 {
		fmt.Fprintf(stderr, "rejected by code: %s\n", codeCounts(j.FailureCodes))
	}
	if !failOn.fails(j.Rejected, j.Parked) {
		if j.Rejected > 0 || j.Parked > 0 {
			fmt.Fprintf(stderr, "import job %s completed with %d rows rejected, %d parked (%s)\n", j.ID, j.Rejected, j.Parked, hint)
		}
		return nil
	}
	return fmt.Errorf("import job %s completed with errors: %d rows rejected, %d parked (%s)", j.ID, j.Rejected, j.Parked, hint)
}

func failureLine(f query.ImportFailure) string {
	who := ""
	if f.ExternalID != "" || f.Email != "" {
		who = fmt.Sprintf(" [%s]", strings.Trim(f.ExternalID+" "+f.Email, " "))
	}
	field := ""
	if f.Field != "" {
		field = ", field " + f.Field
		if f.Value != "" {
			field += fmt.Sprintf(" %q", f.Value)
		}
	}
	prefix := ""
	if f.Severity == "warning" {
		prefix = "warning: "
	}
	return fmt.Sprintf("%srow %d%s%s: %s (%s)", prefix, f.Row, who, field, rootText(f), f.Code)
}

// openApplication connects and builds the application; close releases both.
func openApplication(ctx context.Context, e env) (app.Application, func(), error) {
	pool, err := connect(ctx, e)
	if err != nil {
		return app.Application{}, nil, err
	}
	application, err := service.BuildApplication(pool, nil, nil)
	if err != nil {
		pool.Close()
		return app.Application{}, nil, err
	}
	return application, pool.Close, nil
}

// parseWithArgs parses flags given before, between or after the positional
// arguments (`import FILE --tenant ID` reads naturally), and returns those.
func parseWithArgs(fs *flag.FlagSet, args []string, e env) ([]string, error) {
	if probed(fs, e) {
		return nil, flag.ErrHelp
	}
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprintf(e.stderr, "Usage of usersctl %s:\n", fs.Name())
				fs.SetOutput(e.stderr)
				fs.PrintDefaults()
				return nil, err
			}
			return nil, usageError("%s: %v", fs.Name(), err)
		}
		if fs.NArg() == 0 {
			return positional, nil
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// printMappingError shows what was read of a header that cannot create
// users, and what would help, one item a line.
func printMappingError(w io.Writer, e *command.ImportMappingError) {
	fmt.Fprintf(w, "header as read: %s\n", strings.Join(e.Header, " | "))
	fmt.Fprintf(w, "columns matched: %s\n", strings.Join(e.Matched, ", "))
	fmt.Fprintf(w, "names not matched: %s\n", strings.Join(e.Unmatched, ", "))
	for _, p := range e.Problems {
		fmt.Fprintf(w, "problem: %s\n", p)
	}
	for _, s := range e.Suggestions {
		fmt.Fprintf(w, "try: %s\n", s)
	}
}
