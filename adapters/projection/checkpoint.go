package projection

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// NamedCheckpoint is a checkpoint in projection_checkpoints. A name not seen
// before starts at the beginning of the event order.
type NamedCheckpoint string

// Load implements Checkpoint.
func (c NamedCheckpoint) Load(ctx context.Context, tx pgx.Tx) (Position, error) {
	var p Position
	err := tx.QueryRow(ctx, `SELECT transaction_id::text::bigint, position FROM projection_checkpoints
		WHERE name = $1 FOR UPDATE`, string(c)).Scan(&p.TransactionID, &p.Sequence)
	if errors.Is(err, pgx.ErrNoRows) {
		return Position{}, nil
	}
	if err != nil {
		return p, fmt.Errorf("load checkpoint %s: %w", string(c), err)
	}
	return p, nil
}

// Save implements Checkpoint.
func (c NamedCheckpoint) Save(ctx context.Context, tx pgx.Tx, p Position) error {
	_, err := tx.Exec(ctx, `INSERT INTO projection_checkpoints (name, transaction_id, position)
		VALUES ($1, $2::bigint::text::xid8, $3)
		ON CONFLICT (name) DO UPDATE SET transaction_id = excluded.transaction_id, position = excluded.position,
		    updated_at = now()`, string(c), p.TransactionID, p.Sequence)
	if err != nil {
		return fmt.Errorf("save checkpoint %s: %w", string(c), err)
	}
	return nil
}
