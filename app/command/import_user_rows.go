package command

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/userservice/userservice/domain/user"
)

// ImportUserRows is a chunk of queued rows of one job, applied together.
type ImportUserRows struct {
	Rows []ImportUserRow
}

// DeferredRow is a row of a chunk that waits for its manager's row.
type DeferredRow struct {
	Row    ImportUserRow
	Delay  time.Duration
	Reason string
}

// RowsResult is what ImportUserRows did: the rows applied (outcomes
// recorded, in the chunk's transaction) and the rows to queue again.
type RowsResult struct {
	Applied  []RowResult
	Deferred []DeferredRow
}

// ImportUserRowsHandler applies a chunk of rows of one job: DecideChunk
// decides every row in memory (the same commands and rules as the API), and
// the chunk store writes the decision set-wise in one short transaction:
// outcomes, command records, events, read model, outbox and the seat count
// commit together, and a redelivered chunk finds its outcomes and writes
// nothing again.
type ImportUserRowsHandler Handler[ImportUserRows, RowsResult]

// importUserRowsHandler is ImportUserRowsHandler built by its constructor.
type importUserRowsHandler struct {
	store ImportChunkStore
	newID func() (user.ID, error)
	cfg   ImportUserRowConfig
}

// NewImportUserRowsHandler returns the handler. newID makes user ids.
func NewImportUserRowsHandler(store ImportChunkStore, newID func() (user.ID, error), cfg ImportUserRowConfig) (ImportUserRowsHandler, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("NewImportUserRowsHandler: %w", err)
	}
	if store == nil || newID == nil {
		return nil, errors.New("NewImportUserRowsHandler: nil dependency")
	}
	return importUserRowsHandler{store: store, newID: newID, cfg: cfg}, nil
}

// Handle applies the chunk. An error means nothing of it was kept (a
// transient failure): the caller queues its rows again.
func (h importUserRowsHandler) Handle(ctx context.Context, cmd ImportUserRows) (RowsResult, error) {
	if len(cmd.Rows) == 0 {
		return RowsResult{}, nil
	}
	first := cmd.Rows[0]
	for _, r := range cmd.Rows {
		if r.JobID == "" || r.TenantID == "" || r.Row <= 0 {
			return RowsResult{}, fmt.Errorf("%w: import row without job, tenant or row number", ErrInvalidEnvelope)
		}
		if r.JobID != first.JobID || r.TenantID != first.TenantID {
			return RowsResult{}, fmt.Errorf("%w: a chunk's rows belong to one job", ErrInvalidEnvelope)
		}
	}
	plan, err := h.store.ApplyChunk(ctx, chunkKeys(cmd.Rows), func(v ChunkView) (ChunkPlan, error) {
		return DecideChunk(v, cmd.Rows, h.cfg, h.newID)
	})
	if err != nil {
		return RowsResult{}, err
	}
	res := RowsResult{Applied: make([]RowResult, len(plan.Rows)), Deferred: plan.Deferred}
	for i, p := range plan.Rows {
		res.Applied[i] = RowResult{Outcome: p.Outcome.Outcome, Duplicate: p.Duplicate}
	}
	return res, nil
}

// chunkKeys lists what deciding the rows reads.
func chunkKeys(rows []ImportUserRow) ChunkKeys {
	k := ChunkKeys{TenantID: rows[0].TenantID, JobID: rows[0].JobID}
	for _, r := range rows {
		k.Rows = append(k.Rows, r.Row)
		if r.ManagerRow > 0 {
			k.Rows = append(k.Rows, r.ManagerRow)
		}
		k.CommandIDs = append(k.CommandIDs, commandID(r.JobID, r.Row))
		if ext := strings.TrimSpace(r.Fields[ColExternalID]); ext != "" {
			k.ExternalIDs = append(k.ExternalIDs, ext)
		}
		if email := user.NormalizeEmail(r.Fields[ColEmail]); email != "" {
			k.Emails = append(k.Emails, email)
		}
		if m := strings.TrimSpace(r.Fields[ColManagerExternalID]); m != "" {
			k.ExternalIDs = append(k.ExternalIDs, m)
			k.ManagerExternalIDs = append(k.ManagerExternalIDs, m)
		}
	}
	return k
}
