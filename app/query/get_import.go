package query

import (
	"context"
	"fmt"
	"time"

	"github.com/userservice/userservice/app/errkind"
)

// ErrImportNotFound means the import job does not exist in the caller's tenant.
var ErrImportNotFound = errkind.New(errkind.NotFound, "not_found", "import job not found")

// ImportJob is an import job and its progress.
type ImportJob struct {
	ID       string
	TenantID string
	Source   string
	Actor    string
	// Status is queued, running, completed, completed_with_errors or failed.
	Status string
	Error  string
	// Total is the number of rows, known once all are queued (nil before).
	Total                                                  *int
	Created, Updated, Unchanged, Skipped, Rejected, Parked int
	CreatedAt                                              time.Time
	StartedAt, FinishedAt                                  *time.Time
	// FailureCodes counts the rejections per failure code, WarningCodes the
	// warnings (rows imported with something to know) per code.
	FailureCodes, WarningCodes map[string]int
	// Warnings is the number of warnings.
	Warnings int
	// Waiting is the number of queued messages of the job waiting to be
	// due (rows waiting for their manager's row, or retried).
	Waiting int
	// OneReason, when every row was rejected for the same reason, says so
	// in one line.
	OneReason string
}

// The states of a job as the CLI and the API show them.
const (
	StateQueueing           = "queueing"
	StateQueued             = "queued"
	StateApplying           = "applying"
	StateWaitingForManagers = "waiting for managers"
	StateDone               = "done"
)

// State is where the job is: queueing (its rows are being queued),
// queued (none applied yet), applying, waiting for managers (every row
// left is waiting to be due again), done.
func (j ImportJob) State() string {
	switch {
	case j.Finished():
		return StateDone
	case j.Total == nil:
		return StateQueueing
	case j.Processed() == 0 && j.Waiting == 0:
		return StateQueued
	case j.Waiting > 0 && j.Waiting >= *j.Total-j.Processed():
		return StateWaitingForManagers
	}
	return StateApplying
}

// Remaining estimates the time left from the rate so far (false when
// there is nothing to go on).
func (j ImportJob) Remaining(now time.Time) (time.Duration, bool) {
	if j.Finished() {
		return 0, true
	}
	if j.Total == nil || j.StartedAt == nil || j.Processed() == 0 {
		return 0, false
	}
	elapsed := now.Sub(*j.StartedAt)
	left := *j.Total - j.Processed()
	return time.Duration(float64(elapsed) / float64(j.Processed()) * float64(left)).Round(time.Second), true
}

// Processed is the number of rows with an outcome.
func (j ImportJob) Processed() int {
	return j.Created + j.Updated + j.Unchanged + j.Skipped + j.Rejected + j.Parked
}

// Progress is the share of rows with an outcome, 0 to 1 (0 while the total
// is unknown).
func (j ImportJob) Progress() float64 {
	if j.Total == nil || *j.Total == 0 {
		if j.Total != nil && j.Status != "queued" && j.Status != "running" {
			return 1
		}
		return 0
	}
	return float64(j.Processed()) / float64(*j.Total)
}

// Finished reports whether the job will change no more (short of a retry of
// parked rows).
func (j ImportJob) Finished() bool {
	return j.Status == "completed" || j.Status == "completed_with_errors" || j.Status == "failed"
}

// GetImport reads one import job of a tenant.
type GetImport struct {
	TenantID string
	JobID    string
}

// ImportReader reads import jobs, their failures and parked rows. A job of
// another tenant is ErrImportNotFound, exactly like a missing one.
type ImportReader interface {
	ImportJob(ctx context.Context, tenantID, jobID string) (ImportJob, error)
	ImportFailures(ctx context.Context, q ListImportFailures) (FailurePage, error)
	ParkedImportRows(ctx context.Context, q ListParkedImportRows) ([]ParkedImportRow, error)
}

// GetImportHandler handles GetImport.
type GetImportHandler Handler[GetImport, ImportJob]

// getImportHandler is GetImportHandler built by its constructor.
type getImportHandler struct{ imports ImportReader }

// NewGetImportHandler returns the handler.
func NewGetImportHandler(imports ImportReader) (GetImportHandler, error) {
	if imports == nil {
		return nil, fmt.Errorf("NewGetImportHandler: nil reader")
	}
	return getImportHandler{imports: imports}, nil
}

// Handle returns the job or ErrImportNotFound.
func (h getImportHandler) Handle(ctx context.Context, q GetImport) (ImportJob, error) {
	return h.imports.ImportJob(ctx, q.TenantID, q.JobID)
}
