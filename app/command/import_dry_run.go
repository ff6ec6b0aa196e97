package command

import (
	"context"
	"crypto/rand"
	"fmt"
	"slices"

	"github.com/userservice/userservice/domain/user"
)

// ImportDryRunReader reads, writing nothing, the state a dry run decides
// a file on: the users and reporting lines its rows name, and the seats
// (ChunkView without outcomes or commands: a dry run has no job). The job
// store given to NewStartImportHandler provides it when it can
// (postgres.Imports does); without it a dry run is refused.
type ImportDryRunReader interface {
	DryRunView(ctx context.Context, keys ChunkKeys) (ChunkView, error)
}

// MaxDryRunRows bounds the file a dry run decides: it decides the whole
// file at once, in memory, as one chunk.
const MaxDryRunRows = 200_000

// MaxDryRunFailures bounds the failures a dry run lists (the counts per
// code count them all).
const MaxDryRunFailures = 1000

// DryRunReport is what an import would do, decided by the same functions
// as the import (DecideChunk), on the tenant as it is now.
type DryRunReport struct {
	Total int
	// Outcomes counts the rows per outcome they would have.
	Outcomes map[Outcome]int
	// Warnings counts the warnings; FailureCodes and WarningCodes count
	// per code.
	Warnings                   int
	FailureCodes, WarningCodes map[string]int
	// Failures are the first MaxDryRunFailures failures and warnings, in
	// row order; Truncated says there were more.
	Failures  []Failure
	Truncated bool
}

// dryRun reads and stages the file as an import would (the staging rows
// are scratch, dropped at the end), then decides every row with
// DecideChunk on the tenant's state, and writes nothing else: no job, no
// command, event, user, seat or outbox row.
func (h startImportHandler) dryRun(ctx context.Context, file ImportFile, cmd StartImport) (StartedImport, error) {
	reader, ok := h.jobs.(ImportDryRunReader)
	if !ok {
		return StartedImport{}, fmt.Errorf("%w: dry runs are not available here", ErrInvalidImportFile)
	}
	id, err := h.newID()
	if err != nil {
		return StartedImport{}, fmt.Errorf("new dry run id: %w", err)
	}
	defer h.drop(ctx, id)
	rows, err := file.Rows()
	if err != nil {
		return StartedImport{}, err
	}
	total, unordered, err := h.staging.Stage(ctx, id, rows)
	if err != nil {
		return StartedImport{}, err
	}
	if total > MaxDryRunRows {
		return StartedImport{}, fmt.Errorf("%w: a dry run decides at most %d rows; this file has %d", ErrInvalidImportFile, MaxDryRunRows, total)
	}
	if loops := managerLoops(unordered); len(loops) > 0 {
		if err := h.staging.Reject(ctx, id, loops); err != nil {
			return StartedImport{}, err
		}
	}
	var all []ImportUserRow
	err = h.staging.Each(ctx, id, publishBatch, func(batch []ImportRow) error {
		for _, r := range batch {
			all = append(all, ImportUserRow{JobID: id, TenantID: cmd.TenantID, Source: SourceCSV, ImportRow: r,
				MissingManager: cmd.Options.MissingManager})
		}
		return nil
	})
	if err != nil || len(all) == 0 {
		return StartedImport{JobID: id, Total: total, DryRun: newDryRunReport(total)}, err
	}
	view, err := reader.DryRunView(ctx, chunkKeys(all))
	if err != nil {
		return StartedImport{}, err
	}
	view.Outcomes, view.Commands = map[int]Outcome{}, map[string]RecordedCommand{}
	plan, err := DecideChunk(view, all, ImportUserRowConfig{}, randomUserID)
	if err != nil {
		return StartedImport{}, err
	}
	report := newDryRunReport(total)
	for _, p := range plan.Rows {
		report.add(p.Outcome)
	}
	for _, d := range plan.Deferred { // only a manager's row outside the file could make one wait
		report.add(RowOutcome{Row: d.Row.Row, Outcome: OutcomeRejected, Failures: []Failure{{Row: d.Row.Row,
			Field: ColManagerExternalID, Code: "manager_unresolved", Message: d.Reason, Severity: SeverityError}}})
	}
	slices.SortStableFunc(report.Failures, func(a, b Failure) int { return a.Row - b.Row })
	return StartedImport{JobID: id, Total: total, DryRun: report}, nil
}

func newDryRunReport(total int) *DryRunReport {
	return &DryRunReport{Total: total, Outcomes: map[Outcome]int{}, FailureCodes: map[string]int{}, WarningCodes: map[string]int{}}
}

func (r *DryRunReport) add(o RowOutcome) {
	r.Outcomes[o.Outcome]++
	for _, f := range o.Failures {
		if f.Severity == SeverityWarning {
			r.Warnings++
			r.WarningCodes[f.Code]++
		} else {
			r.FailureCodes[f.Code]++
		}
		if len(r.Failures) < MaxDryRunFailures {
			r.Failures = append(r.Failures, f)
		} else {
			r.Truncated = true
		}
	}
}

// randomUserID makes the ids of the users a dry run would create (never
// stored).
func randomUserID() (user.ID, error) {
	var id user.ID
	_, err := rand.Read(id[:])
	return id, err
}
