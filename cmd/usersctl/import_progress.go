package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/app/query"
)

// importProgress draws an import job's progress on stderr with
// github.com/schollz/progressbar (as replay's does): one redrawn bar on a
// terminal, whose description is the job's state and counts; elsewhere (a
// log, a CI job) a plain line per poll that changed something.
type importProgress struct {
	w    io.Writer
	tty  bool
	bar  *progressbar.ProgressBar
	last string
}

func newImportProgress(w io.Writer) *importProgress {
	p := &importProgress{w: w}
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	}
	return p
}

// counts is the job's state and its counts per outcome, and the estimate.
func counts(j query.ImportJob, rate float64) string {
	s := fmt.Sprintf("%s  created %d, updated %d, unchanged %d, rejected %d, warnings %d", j.State(), j.Created, j.Updated,
		j.Unchanged, j.Rejected, j.Warnings)
	if j.Skipped > 0 || j.Parked > 0 {
		s += fmt.Sprintf(", skipped %d, parked %d", j.Skipped, j.Parked)
	}
	if left, ok := j.Remaining(time.Now()); ok && !j.Finished() {
		s += fmt.Sprintf("  %.0f rows/s, about %s left", rate, left)
	}
	return s
}

func (p *importProgress) draw(j query.ImportJob, rate float64) {
	total := "?"
	if j.Total != nil {
		total = fmt.Sprint(*j.Total)
	}
	if !p.tty {
		line := fmt.Sprintf("%d/%s rows  %s", j.Processed(), total, counts(j, rate))
		if line != p.last {
			fmt.Fprintln(p.w, line)
			p.last = line
		}
		return
	}
	if p.bar == nil && j.Total != nil {
		p.bar = progressbar.NewOptions(*j.Total,
			progressbar.OptionSetWriter(p.w),
			progressbar.OptionSetWidth(30),
			progressbar.OptionShowCount(),
			progressbar.OptionSetTheme(progressbar.ThemeASCII),
			progressbar.OptionSetItsString("rows"),
		)
	}
	if p.bar != nil {
		p.bar.Describe(counts(j, rate))
		_ = p.bar.Set(j.Processed()) // drawing never fails the command
	}
}

func (p *importProgress) finish() {
	if p.bar != nil {
		_ = p.bar.Exit()
		fmt.Fprintln(p.w)
	}
}

// failPolicy is --fail-on: which outcomes make `usersctl import --wait`
// (and --dry-run) exit 1. A failed job always does.
type failPolicy string

const (
	failRejected failPolicy = "rejected"
	failParked   failPolicy = "parked"
	failNever    failPolicy = "never"
)

func parseFailOn(v string) (failPolicy, error) {
	switch p := failPolicy(strings.ToLower(v)); p {
	case failRejected, failParked, failNever:
		return p, nil
	}
	return "", fmt.Errorf("want never, rejected or parked, got %q", v)
}

func (p failPolicy) fails(rejected, parked int) bool {
	switch p {
	case failNever:
		return false
	case failParked:
		return parked > 0
	}
	return rejected > 0 || parked > 0
}

// printDryRun shows what the import would do: the counts on stdout, the
// failures and warnings on stderr.
func printDryRun(e env, r *command.DryRunReport, failOn failPolicy) error {
	fmt.Fprintf(e.stdout, "dry run: %d rows: would create %d, update %d, leave %d unchanged, skip %d, reject %d; %d warnings\n",
		r.Total, r.Outcomes[command.OutcomeCreated], r.Outcomes[command.OutcomeUpdated], r.Outcomes[command.OutcomeUnchanged],
		r.Outcomes[command.OutcomeSkipped], r.Outcomes[command.OutcomeRejected], r.Warnings)
	if len(r.FailureCodes) > 0 {
		fmt.Fprintf(e.stdout, "rejected by code: %s\n", codeCounts(r.FailureCodes))
	}
	if len(r.WarningCodes) > 0 {
		fmt.Fprintf(e.stdout, "warnings by code: %s\n", codeCounts(r.WarningCodes))
	}
	for i, f := range r.Failures {
		if i == maxFailuresShown {
			fmt.Fprintf(e.stderr, "... (only the first %d shown)\n", maxFailuresShown)
			break
		}
		fmt.Fprintln(e.stderr, failureLine(query.ImportFailure{Row: f.Row, Field: f.Field, Code: f.Code, Message: f.Message,
			Severity: f.Severity, Value: f.Value, ExternalID: f.ExternalID, Email: f.Email, RootRow: f.RootRow}))
	}
	if failOn.fails(r.Outcomes[command.OutcomeRejected], 0) {
		return fmt.Errorf("dry run: %d rows would be rejected (nothing was written)", r.Outcomes[command.OutcomeRejected])
	}
	return nil
}
