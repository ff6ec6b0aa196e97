package directory

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/userservice/userservice/adapters/eventcontract"
)

// markProcessedSQL decides duplicates: of two deliveries of one event, only
// the first inserts (a concurrent second waits for the first to commit, then
// inserts nothing).
const markProcessedSQL = `INSERT INTO processed_events (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`

const selectEntrySQL = `
SELECT email, given_name, family_name, display_name, department, status, version, updated_at
FROM user_directory WHERE tenant_id = $1 AND user_id = $2 FOR UPDATE`

// upsertEntrySQL keeps the version guard in SQL too: a row created by a
// concurrent transaction since the SELECT is never rolled back.
const upsertEntrySQL = `
INSERT INTO user_directory (tenant_id, user_id, email, given_name, family_name, display_name, department, status, version, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
ON CONFLICT (tenant_id, user_id) DO UPDATE SET
    email = EXCLUDED.email, given_name = EXCLUDED.given_name, family_name = EXCLUDED.family_name,
    display_name = EXCLUDED.display_name, department = EXCLUDED.department, status = EXCLUDED.status,
    version = EXCLUDED.version, updated_at = EXCLUDED.updated_at
WHERE user_directory.version < EXCLUDED.version`

// project applies ev and records its id in one transaction. gap reports an
// event applied more than one version past the row.
func (p *Projector) project(ctx context.Context, ev eventcontract.Event) (o outcome, gap bool, err error) {
	tx, err := p.pool.Begin(ctx)
	if err != nil {
		return "", false, fmt.Errorf("begin: %w", err)
	}
	committed := false
	defer func() {
		if committed {
			return
		}
		if rbErr := tx.Rollback(context.WithoutCancel(ctx)); rbErr != nil && !errors.Is(rbErr, pgx.ErrTxClosed) {
			err = errors.Join(err, fmt.Errorf("rollback: %w", rbErr))
		}
	}()

	tag, err := tx.Exec(ctx, markProcessedSQL, p.cfg.Consumer, ev.ID)
	if err != nil {
		return "", false, fmt.Errorf("record processed event: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return outcomeDuplicate, false, nil // nothing written: the rollback ends it
	}
	cur, err := selectEntry(ctx, tx, ev)
	if err != nil {
		return "", false, err
	}
	next, o := apply(cur, ev)
	if o == outcomeApplied {
		gap = cur != nil && ev.StreamVersion > cur.Version+1
		if _, err := tx.Exec(ctx, upsertEntrySQL, ev.TenantID, ev.Subject, next.Email, next.GivenName, next.FamilyName,
			next.DisplayName, next.Department, next.Status, next.Version, next.UpdatedAt); err != nil {
			return "", false, fmt.Errorf("write directory entry: %w", err)
		}
	}
	// Stale and orphaned events are committed too: their ids are handled.
	if err := tx.Commit(ctx); err != nil {
		return "", false, fmt.Errorf("commit: %w", err)
	}
	committed = true
	return o, gap, nil
}

func selectEntry(ctx context.Context, tx pgx.Tx, ev eventcontract.Event) (*entry, error) {
	var e entry
	err := tx.QueryRow(ctx, selectEntrySQL, ev.TenantID, ev.Subject).Scan(&e.Email, &e.GivenName, &e.FamilyName,
		&e.DisplayName, &e.Department, &e.Status, &e.Version, &e.UpdatedAt)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("read directory entry: %w", err)
	}
	return &e, nil
}
