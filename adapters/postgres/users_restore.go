package postgres

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/userservice/userservice/domain/user"
)

// restoreMissingSQL copies, from the shadow's rows after $2 in id order, up
// to $3 of those users lacks, except the ones whose manager is not there
// yet (they wait for the next pass: ids are time-ordered, so a manager
// usually comes first) and the ones clashing with a live row on a unique
// key (they are left for Swap, which reports the clash).
var restoreMissingSQL = `
WITH candidates AS (
    SELECT s.* FROM users_shadow s
    WHERE s.scope = $1 AND s.id > $2 AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = s.id)
    ORDER BY s.id LIMIT $3
), restored AS (
    INSERT INTO users (` + strings.Join(userRowColumns, ", ") + `)
    SELECT ` + strings.Join(userRowColumns, ", ") + ` FROM candidates c
    WHERE c.manager_id IS NULL
       OR EXISTS (SELECT 1 FROM users m WHERE m.tenant_id = c.tenant_id AND m.id = c.manager_id)
    ON CONFLICT DO NOTHING
    RETURNING 1
)
SELECT (SELECT count(*) FROM restored), (SELECT id FROM candidates ORDER BY id DESC LIMIT 1)`

// RestoreMissing implements projection.Target.
func (UsersRebuild) RestoreMissing(ctx context.Context, tx pgx.Tx, scope string, after *user.ID, limit int) (int, *user.ID, error) {
	from := user.ID{}
	if after != nil {
		from = *after
	}
	var (
		n    int
		last *[16]byte
	)
	if err := tx.QueryRow(ctx, restoreMissingSQL, shadowScope(scope), from, limit).Scan(&n, &last); err != nil {
		return 0, nil, translate(err)
	}
	if last == nil {
		return n, nil, nil
	}
	id := user.ID(*last)
	return n, &id, nil
}
