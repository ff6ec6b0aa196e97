package personaldata

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/userservice/userservice/domain/user"
)

// Rotate re-wraps, with the active master key, every data key wrapped by
// another one, batch keys per short transaction, and returns how many it
// re-wrapped. It runs beside the service without downtime: while it runs,
// the old and the new master key are both configured, so every key unwraps
// in either form; rows being written are skipped and picked up by the next
// batch (SKIP LOCKED), and an erasure that deletes a row is simply not
// re-wrapped. When it returns, the old master key may be removed from the
// configuration. Interrupted, it is run again: it resumes. Keys wrapped by
// a master key that is not configured cannot be re-wrapped: Pending lists
// them.
func (k *Keys) Rotate(ctx context.Context, pool *pgxpool.Pool, batch int, progress func(done int)) (int, error) {
	if batch < 1 {
		return 0, errors.New("personaldata: rotate batch must be positive")
	}
	done := 0
	for {
		n, err := k.rotateBatch(ctx, pool, batch)
		done += n
		if err != nil {
			return done, err
		}
		if progress != nil {
			progress(done)
		}
		if n == 0 {
			return done, nil
		}
	}
}

func (k *Keys) rotateBatch(ctx context.Context, pool *pgxpool.Pool, batch int) (int, error) {
	n := 0
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT user_id, wrapped_key FROM user_data_keys WHERE master_key_id = ANY($1)
			LIMIT $2 FOR UPDATE SKIP LOCKED`, k.ring.retired(), batch)
		if err != nil {
			return err
		}
		var (
			ids     [][16]byte
			wrapped [][]byte
			id      [16]byte
			old     []byte
		)
		_, err = pgx.ForEachRow(rows, []any{&id, &old}, func() error {
			key, err := k.ring.unwrap(id, old)
			if err != nil {
				return err
			}
			w, err := k.ring.wrap(user.ID(id), key)
			if err != nil {
				return err
			}
			ids, wrapped = append(ids, id), append(wrapped, w)
			return nil
		})
		if err != nil || len(ids) == 0 {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE user_data_keys k SET wrapped_key = r.wrapped, master_key_id = $1, rewrapped_at = now()
			FROM unnest($2::uuid[], $3::bytea[]) AS r (id, wrapped) WHERE k.user_id = r.id`, k.ring.Active(), ids, wrapped)
		n = len(ids)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("personaldata: re-wrap data keys: %w", err)
	}
	return n, nil
}

// Pending counts the data keys not yet wrapped by the active master key, by
// master key id: what a rotation still has to do, and which old keys are
// still needed.
func (k *Keys) Pending(ctx context.Context, pool *pgxpool.Pool) (map[string]int64, error) {
	rows, err := pool.Query(ctx, `SELECT master_key_id, count(*) FROM user_data_keys WHERE master_key_id <> $1 GROUP BY 1`, k.ring.Active())
	if err != nil {
		return nil, fmt.Errorf("personaldata: count data keys: %w", err)
	}
	out := map[string]int64{}
	var (
		id string
		n  int64
	)
	_, err = pgx.ForEachRow(rows, []any{&id, &n}, func() error { out[id] = n; return nil })
	return out, err
}
