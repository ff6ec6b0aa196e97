package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/userservice/userservice/domain/user"
)

// PostgreSQL's codes for a lock NOWAIT could not take and a statement the
// role may not run.
const (
	lockNotAvailable      = "55P03"
	insufficientPrivilege = "42501"
)

// Clear implements projection.Target. A rebuild whose rows are the only
// ones in the shadow empties it with TRUNCATE; otherwise (rebuilds of other
// tenants have rows there, or are writing at this moment) it deletes its
// own rows. A DELETE left every row of a rebuild dead in the table and in
// its key index until a vacuum came: the next rebuild of the same scope
// then COPYed each row against a dead twin of its key (the unique check
// visits the dead row; that COPY took 1.4 times as long, alternating runs
// of 200,000 rows), and its comparison scanned the dead rows with the live
// ones.
func (UsersRebuild) Clear(ctx context.Context, tx pgx.Tx, scope string) error {
	s := shadowScope(scope)
	truncated, err := truncateLoneShadow(ctx, tx, s)
	if err != nil || truncated {
		return err
	}
	_, err = tx.Exec(ctx, `DELETE FROM users_shadow WHERE scope = $1`, s)
	return err
}

// truncateLoneShadow truncates users_shadow if it holds rows of scope only,
// and says whether it did. It never waits for the table's lock: a rebuild
// of another scope holding it is writing rows of its own. The attempt runs
// in a savepoint, so a refused lock (or a role without the TRUNCATE
// privilege) leaves tx usable and the table unlocked for the DELETE.
// TRUNCATE is not MVCC-safe, but no other reader can miss a row by it: the
// exclusive lock is held from the check to the commit, so the rows removed
// are this scope's only, which only this rebuild (its advisory lock) reads.
func truncateLoneShadow(ctx context.Context, tx pgx.Tx, scope user.ID) (bool, error) {
	sp, err := tx.Begin(ctx)
	if err != nil {
		return false, fmt.Errorf("clear users_shadow: savepoint: %w", err)
	}
	others := false
	_, err = sp.Exec(ctx, `LOCK TABLE users_shadow IN ACCESS EXCLUSIVE MODE NOWAIT`)
	if err == nil {
		// Two range probes of the key, not "scope <> $1", which reads the table.
		err = sp.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users_shadow WHERE scope < $1)
			OR EXISTS (SELECT 1 FROM users_shadow WHERE scope > $1)`, scope).Scan(&others)
	}
	if err == nil && !others {
		if _, err = sp.Exec(ctx, `TRUNCATE users_shadow`); err == nil {
			return true, sp.Commit(ctx)
		}
	}
	if rbErr := sp.Rollback(ctx); rbErr != nil {
		return false, errors.Join(err, fmt.Errorf("clear users_shadow: roll back to the savepoint: %w", rbErr))
	}
	var pgErr *pgconn.PgError
	if err != nil && !(errors.As(err, &pgErr) && (pgErr.Code == lockNotAvailable || pgErr.Code == insufficientPrivilege)) {
		return false, fmt.Errorf("clear users_shadow: %w", err)
	}
	return false, nil
}
