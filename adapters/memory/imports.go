package memory

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/app/query"
)

// Imports implements the import ports on a Store, as adapters/postgres's
// Imports, ImportStaging and ImportChunks do together: jobs and their row
// outcomes (command.ImportJobStore, ImportRowStore, ParkedRowStore,
// StaleImportStore and query.ImportReader), the staging area
// (command.ImportStaging) and the chunk store (command.ImportChunkStore,
// command.ImportDryRunReader),
// whose chunks write users through the same Store as the unit of work.
// It keeps no queue (any command.ImportQueue will do), no notices and no
// source rows (ImportOptions.KeepRows is refused as "not available here").
type Imports struct{ s *Store }

var (
	_ command.ImportJobStore     = (*Imports)(nil)
	_ command.ImportRowStore     = (*Imports)(nil)
	_ command.ParkedRowStore     = (*Imports)(nil)
	_ command.StaleImportStore   = (*Imports)(nil)
	_ command.ImportStaging      = (*Imports)(nil)
	_ command.ImportChunkStore   = (*Imports)(nil)
	_ command.ImportDryRunReader = (*Imports)(nil)
	_ query.ImportReader         = (*Imports)(nil)
)

// NewImports returns the import store of s.
func NewImports(s *Store) *Imports { return &Imports{s: s} }

// importJob is an import job with its rows' outcomes and failures.
type importJob struct {
	id, tenantID, source, actor, dedupKey string
	status, reason                        string
	total                                 *int
	counts                                map[command.Outcome]int
	createdAt                             time.Time
	startedAt, finishedAt                 *time.Time
	rows                                  map[int]*rowRecord
	failures                              map[int][]command.Failure // by row
}

// rowRecord is one row's recorded outcome.
type rowRecord struct {
	outcome    command.Outcome
	detail     string
	parked     *command.ImportUserRow
	recordedAt time.Time
	requeuedAt *time.Time
}

// CreateImportJob implements command.ImportJobStore.
func (m *Imports) CreateImportJob(ctx context.Context, j command.NewImportJob) error {
	s := m.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tenants[j.TenantID] == nil {
		return fmt.Errorf("create import job for tenant %s: %w", j.TenantID, query.ErrTenantNotFound)
	}
	for _, o := range s.jobs {
		if j.DedupKey != "" && o.dedupKey == j.DedupKey {
			return command.ErrImportExists
		}
	}
	if s.jobs[j.ID] != nil {
		return fmt.Errorf("create import job: job %s exists", j.ID)
	}
	s.jobs[j.ID] = &importJob{id: j.ID, tenantID: j.TenantID, source: string(j.Source), actor: j.Actor, dedupKey: j.DedupKey,
		status: "queued", counts: map[command.Outcome]int{}, createdAt: s.now().UTC(), rows: map[int]*rowRecord{},
		failures: map[int][]command.Failure{}}
	return nil
}

// SealImportJob implements command.ImportJobStore.
func (m *Imports) SealImportJob(ctx context.Context, jobID string, total int) error {
	s := m.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if j := s.jobs[jobID]; j != nil && j.total == nil {
		j.total = &total
		s.finishIfDone(j)
	}
	return nil
}

// FailImportJob implements command.ImportJobStore (notices are not kept).
func (m *Imports) FailImportJob(ctx context.Context, jobID, reason string, _ bool) error {
	s := m.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if j := s.jobs[jobID]; j != nil && (j.status == "queued" || j.status == "running") {
		s.endJob(j, "failed")
		j.reason = reason
	}
	return nil
}

// FailStaleImports implements command.StaleImportStore.
func (m *Imports) FailStaleImports(ctx context.Context, olderThan time.Duration) (int, error) {
	s := m.s
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, j := range s.jobs {
		if j.total == nil && (j.status == "queued" || j.status == "running") && j.createdAt.Before(s.now().Add(-olderThan)) {
			s.endJob(j, "failed")
			j.reason = "the job was abandoned while its rows were being queued; the rows queued before were imported"
			n++
		}
	}
	return n, nil
}

// RecordRowOutcome implements command.ImportRowStore.
func (m *Imports) RecordRowOutcome(ctx context.Context, o command.RowOutcome) (bool, error) {
	s := m.s
	s.mu.Lock()
	defer s.mu.Unlock()
	j := s.jobs[o.JobID]
	if j == nil || j.tenantID != o.TenantID {
		return false, query.ErrImportNotFound
	}
	prev := j.rows[o.Row]
	if prev != nil && (prev.outcome != command.OutcomeParked || o.Outcome == command.OutcomeParked) {
		s.finishIfDone(j)
		return false, nil // the row has its outcome: a redelivery changes nothing
	}
	if prev != nil {
		j.counts[command.OutcomeParked]--
	}
	s.recordRow(j, o)
	s.finishIfDone(j)
	return true, nil
}

// recordRow records a row's outcome, its failures (replacing a parked
// row's) and its count, and starts a queued job.
func (s *Store) recordRow(j *importJob, o command.RowOutcome) {
	j.rows[o.Row] = &rowRecord{outcome: o.Outcome, detail: command.CapText(o.Detail), parked: o.Parked, recordedAt: s.now().UTC()}
	if len(o.Failures) > 0 {
		j.failures[o.Row] = nil
	}
	for _, f := range o.Failures {
		if f.Severity == "" {
			f.Severity = command.SeverityError
		}
		f.Row = o.Row
		f.Message, f.Value = command.CapText(f.Message), command.CapText(f.Value)
		f.ExternalID, f.Email = command.CapText(f.ExternalID), command.CapText(f.Email)
		j.failures[o.Row] = append(j.failures[o.Row], f)
	}
	j.counts[o.Outcome]++
	if j.status == "queued" {
		now := s.now().UTC()
		j.status, j.startedAt = "running", &now
	}
}

// finishIfDone ends a sealed job whose every row has an outcome (or restates
// its end after a parked row was retried).
func (s *Store) finishIfDone(j *importJob) {
	processed, bad := 0, j.counts[command.OutcomeRejected]+j.counts[command.OutcomeParked]
	for _, n := range j.counts {
		processed += n
	}
	status := "completed"
	if bad > 0 {
		status = "completed_with_errors"
	}
	if j.status != "failed" && j.total != nil && *j.total == processed && j.status != status {
		s.endJob(j, status)
	}
}

func (s *Store) endJob(j *importJob, status string) {
	j.status = status
	if j.finishedAt == nil {
		now := s.now().UTC()
		j.finishedAt = &now
	}
}

// job returns the tenant's job, or query.ErrImportNotFound.
func (s *Store) job(tenantID, jobID string) (*importJob, error) {
	j := s.jobs[jobID]
	if j == nil || tenantID == "" || j.tenantID != tenantID {
		return nil, query.ErrImportNotFound
	}
	return j, nil
}

// ImportJob implements query.ImportReader. Waiting is always 0: the queue
// is not the store's.
func (m *Imports) ImportJob(ctx context.Context, tenantID, jobID string) (query.ImportJob, error) {
	s := m.s
	s.mu.Lock()
	defer s.mu.Unlock()
	j, err := s.job(tenantID, jobID)
	if err != nil {
		return query.ImportJob{}, err
	}
	c := j.counts
	out := query.ImportJob{ID: j.id, TenantID: j.tenantID, Source: j.source, Actor: j.actor, Status: j.status, Error: j.reason,
		Created: c[command.OutcomeCreated], Updated: c[command.OutcomeUpdated], Unchanged: c[command.OutcomeUnchanged],
		Skipped: c[command.OutcomeSkipped], Rejected: c[command.OutcomeRejected], Parked: c[command.OutcomeParked],
		CreatedAt: j.createdAt, StartedAt: j.startedAt, FinishedAt: j.finishedAt,
		FailureCodes: map[string]int{}, WarningCodes: map[string]int{}}
	if j.total != nil {
		total := *j.total
		out.Total = &total
	}
	for _, fs := range j.failures {
		for _, f := range fs {
			if f.Severity == command.SeverityWarning {
				out.WarningCodes[f.Code]++
				out.Warnings++
			} else {
				out.FailureCodes[f.Code]++
			}
		}
	}
	out.OneReason = oneReason(out, j.sortedFailures())
	return out, nil
}

// oneReason says, when every row was rejected for the same reason, which.
func oneReason(j query.ImportJob, failures []command.Failure) string {
	if j.Total == nil || *j.Total == 0 || j.Rejected != *j.Total || len(j.FailureCodes) != 1 {
		return ""
	}
	for _, f := range failures {
		if f.Severity != command.SeverityError || j.FailureCodes[f.Code] < *j.Total {
			continue
		}
		field := ""
		if f.Field != "" {
			field = " " + f.Field
		}
		return fmt.Sprintf("all %d rows were rejected for one reason:%s %s (%s)", *j.Total, field, f.Message, f.Code)
	}
	return ""
}

// sortedFailures are the job's failures by row and sequence.
func (j *importJob) sortedFailures() []command.Failure {
	var out []command.Failure
	for _, row := range slices.Sorted(maps.Keys(j.failures)) {
		out = append(out, j.failures[row]...)
	}
	return out
}

// ImportFailures implements query.ImportReader (no source rows are kept:
// WithSource adds none).
func (m *Imports) ImportFailures(ctx context.Context, q query.ListImportFailures) (query.FailurePage, error) {
	s := m.s
	s.mu.Lock()
	defer s.mu.Unlock()
	j, err := s.job(q.TenantID, q.JobID)
	if err != nil {
		return query.FailurePage{}, err
	}
	page := query.FailurePage{Done: true}
	for _, row := range slices.Sorted(maps.Keys(j.failures)) {
		for i, f := range j.failures[row] {
			seq := i + 1
			if row < q.AfterRow || (row == q.AfterRow && seq <= q.AfterSeq) {
				continue
			}
			if len(page.Failures) == q.Limit {
				page.Done = false
				return page, nil
			}
			out := query.ImportFailure{Row: row, Seq: seq, Field: f.Field, Code: f.Code, Message: f.Message,
				Severity: f.Severity, Value: f.Value, ExternalID: f.ExternalID, Email: f.Email}
			out.RootRow, out.RootCode, out.RootMessage = j.root(f.RootRow)
			page.Failures = append(page.Failures, out)
		}
	}
	return page, nil
}

// root follows a chain of rows refused for their manager's row to its end:
// that row and its own reason (as failuresPageSQL does).
func (j *importJob) root(row int) (int, string, string) {
	for depth := 0; row != 0 && depth < 1000; depth++ {
		own, next := j.ownFailure(row)
		if next == 0 {
			return row, own.Code, own.Message
		}
		row = next
	}
	return row, "", ""
}

// ownFailure is a row's first error that is its own (not its manager's
// row's), or its first error; next is the row its chain goes on to (0: none).
func (j *importJob) ownFailure(row int) (own command.Failure, next int) {
	found := false
	for _, f := range j.failures[row] {
		if f.Severity != command.SeverityError {
			continue
		}
		if f.RootRow != 0 && f.RootRow != row && next == 0 {
			next = f.RootRow
		}
		if !found || (own.RootRow != 0 && f.RootRow == 0) {
			own, found = f, true
		}
	}
	return own, next
}

// ParkedImportRows implements query.ImportReader.
func (m *Imports) ParkedImportRows(ctx context.Context, q query.ListParkedImportRows) ([]query.ParkedImportRow, error) {
	var out []query.ParkedImportRow
	err := m.eachParked(q.TenantID, q.JobID, q.AfterRow, q.Limit, func(row int, r *rowRecord) {
		out = append(out, query.ParkedImportRow{Row: row, Error: r.detail, ParkedAt: r.recordedAt, RequeuedAt: r.requeuedAt})
	})
	return out, err
}

// ParkedRows implements command.ParkedRowStore.
func (m *Imports) ParkedRows(ctx context.Context, tenantID, jobID string, afterRow, limit int) ([]command.ImportUserRow, error) {
	var out []command.ImportUserRow
	err := m.eachParked(tenantID, jobID, afterRow, limit, func(_ int, r *rowRecord) { out = append(out, *r.parked) })
	return out, err
}

func (m *Imports) eachParked(tenantID, jobID string, afterRow, limit int, f func(int, *rowRecord)) error {
	s := m.s
	s.mu.Lock()
	defer s.mu.Unlock()
	j, err := s.job(tenantID, jobID)
	if err != nil {
		return err
	}
	n := 0
	for _, row := range slices.Sorted(maps.Keys(j.rows)) {
		if r := j.rows[row]; row > afterRow && r.outcome == command.OutcomeParked && r.parked != nil && n < limit {
			f(row, r)
			n++
		}
	}
	return nil
}

// MarkRequeued implements command.ParkedRowStore.
func (m *Imports) MarkRequeued(ctx context.Context, jobID string, rows []int) error {
	s := m.s
	s.mu.Lock()
	defer s.mu.Unlock()
	j := s.jobs[jobID]
	if j == nil {
		return nil
	}
	now := s.now().UTC()
	for _, row := range rows {
		if r := j.rows[row]; r != nil && r.outcome == command.OutcomeParked {
			r.requeuedAt = &now
		}
	}
	return nil
}
