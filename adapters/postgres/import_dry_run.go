package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/domain/user"
)

// DryRunView implements command.ImportDryRunReader: the seats, the users
// the rows name and the reporting lines above their managers, read in ONE
// read-only transaction (one snapshot, nothing written, no lock taken), with
// the chunk read's own queries.
func (s *Imports) DryRunView(ctx context.Context, k command.ChunkKeys) (command.ChunkView, error) {
	v := command.ChunkView{Managers: map[user.ID]user.ID{}, Now: time.Now().UTC()}
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return v, fmt.Errorf("dry run: begin: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }() // read-only: nothing to keep
	b := &pgx.Batch{}
	found := false
	b.Queue(`SELECT seat_limit, seats_used FROM tenants WHERE id = $1`, k.TenantID).QueryRow(func(row pgx.Row) error {
		err := row.Scan(&v.SeatLimit, &v.SeatsUsed)
		found = err == nil
		return ignoreNoRows(err)
	})
	b.Queue(chunkUsersSQL, k.TenantID, k.ExternalIDs, k.Emails).Query(func(rs pgx.Rows) error {
		for rs.Next() {
			t, err := scanImportTarget(rs)
			if err != nil {
				return err
			}
			t.UpdatedAt = t.UpdatedAt.UTC()
			v.Users = append(v.Users, t)
		}
		return rs.Err()
	})
	if len(k.ManagerExternalIDs) > 0 {
		b.Queue(chunkReportingLinesSQL, k.TenantID, k.ManagerExternalIDs).Query(func(rs pgx.Rows) error {
			var (
				id      [16]byte
				manager pgtype.UUID
			)
			_, err := pgx.ForEachRow(rs, []any{&id, &manager}, func() error {
				if manager.Valid {
					v.Managers[id] = manager.Bytes
				}
				return nil
			})
			return err
		})
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return command.ChunkView{}, fmt.Errorf("dry run: read: %w", err)
	}
	if !found {
		return command.ChunkView{}, fmt.Errorf("dry run for tenant %s: %w", k.TenantID, ErrTenantNotFound)
	}
	return v, nil
}
