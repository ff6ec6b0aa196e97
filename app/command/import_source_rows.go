package command

import (
	"context"
	"fmt"
)

// ImportFileHeader is an ImportFile that knows its header as read.
type ImportFileHeader interface {
	Header() []string
}

// ImportSourceKeeper keeps the original rows of a job uploaded with
// ImportOptions.KeepRows (staged with their cells) and its header, for the
// failure report's "original rows" form. The job store given to
// NewStartImportHandler provides it when it can (postgres.Imports does).
type ImportSourceKeeper interface {
	KeepSourceRows(ctx context.Context, jobID string, header []string) error
}

// keepRows keeps the staged rows' original cells with the job, before the
// staged rows are queued and dropped.
func (h startImportHandler) keepRows(ctx context.Context, file ImportFile, jobID string) error {
	keeper, ok := h.jobs.(ImportSourceKeeper)
	hf, ok2 := file.(ImportFileHeader)
	if !ok || !ok2 {
		return fmt.Errorf("%w: keeping the original rows is not available here", ErrInvalidImportFile)
	}
	if err := keeper.KeepSourceRows(ctx, jobID, hf.Header()); err != nil {
		return fmt.Errorf("keep the original rows: %w", err)
	}
	return nil
}
