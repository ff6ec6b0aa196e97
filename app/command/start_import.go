package command

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// RowReader reads an import source's rows in order; Next returns io.EOF
// after the last one. A row the reader could not parse comes back with its
// Rejection set, and reading goes on.
type RowReader interface {
	Next() (ImportRow, error)
}

// ImportFile is an uploaded file: its header is checked, its rows are read
// once, as they arrive.
type ImportFile interface {
	// Rows returns the file's rows; it can be called once.
	Rows() (RowReader, error)
	Close() error
}

// ImportFormat opens an uploaded file, read as opts say (mapping,
// encoding, delimiter, value maps, derivations). A file that cannot be
// imported at all is ErrInvalidImportFile.
type ImportFormat interface {
	Open(ctx context.Context, body io.Reader, opts ImportOptions) (ImportFile, error)
}

// StartImport queues the rows of an uploaded CSV file as an import job.
type StartImport struct {
	TenantID string
	// Actor names who asked (a token id).
	Actor   string
	Body    io.Reader
	Options ImportOptions
	// DryRun decides the file and reports what the import would do,
	// writing nothing (see DryRunReport).
	DryRun bool
}

// StartedImport identifies a queued job.
type StartedImport struct {
	JobID string
	Total int
	// DryRun is the report of a dry run (nil for an import).
	DryRun *DryRunReport
}

// StartImportHandler handles StartImport.
type StartImportHandler Handler[StartImport, StartedImport]

// startImportHandler is StartImportHandler built by its constructor.
type startImportHandler struct {
	format  ImportFormat
	jobs    ImportJobStore
	staging ImportStaging
	queue   ImportQueue
	newID   func() (string, error)
}

// NewStartImportHandler returns the StartImport handler.
func NewStartImportHandler(format ImportFormat, jobs ImportJobStore, staging ImportStaging, queue ImportQueue,
	newID func() (string, error)) (StartImportHandler, error) {
	if format == nil || jobs == nil || staging == nil || queue == nil || newID == nil {
		return nil, errors.New("NewStartImportHandler: nil dependency")
	}
	return startImportHandler{format: format, jobs: jobs, staging: staging, queue: queue, newID: newID}, nil
}

// Handle streams the upload into the staging area before creating the job,
// so an upload that breaks off creates and queues nothing; then it creates
// the job, queues every row, managers first, and seals the job.
func (h startImportHandler) Handle(ctx context.Context, cmd StartImport) (StartedImport, error) {
	if cmd.TenantID == "" {
		return StartedImport{}, ErrInvalidEnvelope
	}
	file, err := h.format.Open(ctx, cmd.Body, cmd.Options)
	if err != nil {
		return StartedImport{}, err
	}
	defer file.Close()
	if cmd.DryRun {
		return h.dryRun(ctx, file, cmd)
	}
	id, err := h.newID()
	if err != nil {
		return StartedImport{}, fmt.Errorf("new job id: %w", err)
	}
	job := NewImportJob{ID: id, TenantID: cmd.TenantID, Source: SourceCSV, Actor: cmd.Actor, MissingManager: cmd.Options.MissingManager}
	defer h.drop(ctx, id)
	rows, err := file.Rows()
	if err != nil {
		return StartedImport{}, err
	}
	total, unordered, err := h.staging.Stage(ctx, id, rows)
	if err != nil {
		return StartedImport{}, err
	}
	if err := h.jobs.CreateImportJob(ctx, job); err != nil {
		return StartedImport{}, err
	}
	if cmd.Options.KeepRows {
		if err := h.keepRows(ctx, file, id); err != nil {
			return StartedImport{}, err
		}
	}
	queued, err := queueJob(ctx, h.jobs, h.staging, h.queue, job, total, unordered)
	return StartedImport{JobID: id, Total: queued}, err
}

// drop deletes the staged rows; one left behind by a failure here is only
// space (a job's rows are never staged twice).
func (h startImportHandler) drop(ctx context.Context, jobID string) {
	_ = h.staging.Drop(context.WithoutCancel(ctx), jobID)
}

// publishBatch is the number of rows queued per publish: one short
// transaction each on the PostgreSQL queue.
const publishBatch = 500

// queueJob refuses the rows on loops of managers, queues every staged row
// of a job (managers first) and seals it. A failure part way marks the job
// failed (the rows already queued are still imported, and counted).
func queueJob(ctx context.Context, jobs ImportJobStore, staging ImportStaging, queue ImportQueue, job NewImportJob,
	total int, unordered map[int]int) (int, error) {
	queued, err := queueStaged(ctx, staging, queue, job, unordered)
	if err == nil && queued != total {
		err = fmt.Errorf("queued %d of %d staged rows", queued, total)
	}
	if err != nil {
		reason := "queueing the rows failed after " + fmt.Sprint(queued) + " rows"
		if ferr := jobs.FailImportJob(context.WithoutCancel(ctx), job.ID, reason, job.Source == SourceHRIS); ferr != nil {
			err = errors.Join(err, fmt.Errorf("mark job failed: %w", ferr))
		}
		return queued, err
	}
	if err := jobs.SealImportJob(ctx, job.ID, total); err != nil {
		return total, fmt.Errorf("seal import job: %w", err)
	}
	return total, nil
}

func queueStaged(ctx context.Context, staging ImportStaging, queue ImportQueue, job NewImportJob, unordered map[int]int) (int, error) {
	if loops := managerLoops(unordered); len(loops) > 0 {
		if err := staging.Reject(ctx, job.ID, loops); err != nil {
			return 0, err
		}
	}
	if q, ok := staging.(StagedRowsQueue); ok {
		return q.QueueStaged(ctx, job)
	}
	queued := 0
	err := staging.Each(ctx, job.ID, publishBatch, func(rows []ImportRow) error {
		batch := make([]ImportUserRow, len(rows))
		for i, r := range rows {
			batch[i] = ImportUserRow{JobID: job.ID, TenantID: job.TenantID, Source: job.Source, ImportRow: r,
				MissingManager: job.MissingManager}
		}
		if err := queue.Enqueue(ctx, batch); err != nil {
			return fmt.Errorf("queue import rows: %w", err)
		}
		queued += len(rows)
		return nil
	})
	return queued, err
}
