package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/domain/user"
)

// DryRunView implements command.ImportDryRunReader: the seats, the users
// the rows name and the reporting lines above their managers, read with
// the chunk read's own queries (queueDecisionReads) in ONE read-only
// transaction: one snapshot, nothing written, no lock taken.
func (s *Imports) DryRunView(ctx context.Context, k command.ChunkKeys) (command.ChunkView, error) {
	v := command.ChunkView{Managers: map[user.ID]user.ID{}, Now: time.Now().UTC()}
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return v, fmt.Errorf("dry run: begin: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }() // read-only: nothing to keep
	b := &pgx.Batch{}
	found := queueDecisionReads(b, k, &v)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return command.ChunkView{}, fmt.Errorf("dry run: read: %w", err)
	}
	if !*found {
		return command.ChunkView{}, fmt.Errorf("dry run for tenant %s: %w", k.TenantID, ErrTenantNotFound)
	}
	return v, nil
}
