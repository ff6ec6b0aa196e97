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

// ImportFile is an uploaded file, readable more than once: an import reads it
// twice (to index the rows' keys, then to queue them).
type ImportFile interface {
	// Rows starts a new pass over the rows.
	Rows() (RowReader, error)
	Close() error
}

// ImportFormat opens an uploaded file. mapping maps import columns to the
// file's own header names; nil means the documented default header. A file
// that cannot be imported at all is ErrInvalidImportFile.
type ImportFormat interface {
	Open(ctx context.Context, body io.Reader, mapping map[string]string) (ImportFile, error)
}

// StartImport queues the rows of an uploaded CSV file as an import job.
type StartImport struct {
	TenantID string
	// Actor names who asked (a token id).
	Actor   string
	Body    io.Reader
	Mapping map[string]string
}

// StartedImport identifies a queued job.
type StartedImport struct {
	JobID string
	Total int
}

// StartImportHandler handles StartImport.
type StartImportHandler struct {
	format ImportFormat
	jobs   ImportJobStore
	queue  ImportQueue
	newID  func() (string, error)
}

// NewStartImportHandler returns the StartImport handler.
func NewStartImportHandler(format ImportFormat, jobs ImportJobStore, queue ImportQueue, newID func() (string, error)) (StartImportHandler, error) {
	if format == nil || jobs == nil || queue == nil || newID == nil {
		return StartImportHandler{}, errors.New("NewStartImportHandler: nil dependency")
	}
	return StartImportHandler{format: format, jobs: jobs, queue: queue, newID: newID}, nil
}

// Handle reads the whole upload before creating the job, so an upload that
// breaks off queues nothing; then it queues every row and seals the job.
func (h StartImportHandler) Handle(ctx context.Context, cmd StartImport) (StartedImport, error) {
	if cmd.TenantID == "" {
		return StartedImport{}, ErrInvalidEnvelope
	}
	file, err := h.format.Open(ctx, cmd.Body, cmd.Mapping)
	if err != nil {
		return StartedImport{}, err
	}
	defer file.Close()
	id, err := h.newID()
	if err != nil {
		return StartedImport{}, fmt.Errorf("new job id: %w", err)
	}
	job := NewImportJob{ID: id, TenantID: cmd.TenantID, Source: SourceCSV, Actor: cmd.Actor}
	if err := h.jobs.CreateImportJob(ctx, job); err != nil {
		return StartedImport{}, err
	}
	total, err := queueJob(ctx, h.jobs, h.queue, job, file.Rows)
	return StartedImport{JobID: id, Total: total}, err
}

// publishBatch is the number of rows queued per publish: one short
// transaction each on the PostgreSQL queue.
const publishBatch = 500

// queueJob queues every row of a job and seals it. A failure part way marks
// the job failed (the rows already queued are still imported, and counted).
func queueJob(ctx context.Context, jobs ImportJobStore, queue ImportQueue, job NewImportJob,
	open func() (RowReader, error)) (int, error) {
	total, err := queueRows(ctx, queue, job, open)
	if err != nil {
		reason := "queueing the rows failed after " + fmt.Sprint(total) + " rows"
		if ferr := jobs.FailImportJob(context.WithoutCancel(ctx), job.ID, reason, job.Source == SourceHRIS); ferr != nil {
			err = errors.Join(err, fmt.Errorf("mark job failed: %w", ferr))
		}
		return total, err
	}
	if err := jobs.SealImportJob(ctx, job.ID, total); err != nil {
		return total, fmt.Errorf("seal import job: %w", err)
	}
	return total, nil
}

// queueRows makes two passes: the first indexes the rows' keys, so the second
// can mark duplicates and tell each row where its manager's row is.
func queueRows(ctx context.Context, queue ImportQueue, job NewImportJob, open func() (RowReader, error)) (int, error) {
	idx := newRowIndex()
	if err := eachRow(open, func(r ImportRow) error { idx.add(r); return nil }); err != nil {
		return 0, err
	}
	batch := make([]ImportUserRow, 0, publishBatch)
	queued := 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := queue.Enqueue(ctx, batch); err != nil {
			return fmt.Errorf("queue import rows: %w", err)
		}
		queued += len(batch)
		batch = batch[:0]
		return nil
	}
	err := eachRow(open, func(r ImportRow) error {
		idx.annotate(&r)
		batch = append(batch, ImportUserRow{JobID: job.ID, TenantID: job.TenantID, Source: job.Source, ImportRow: r})
		if len(batch) == publishBatch {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	return queued, err
}

func eachRow(open func() (RowReader, error), f func(ImportRow) error) error {
	rows, err := open()
	if err != nil {
		return err
	}
	for {
		r, err := rows.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := f(r); err != nil {
			return err
		}
	}
}
