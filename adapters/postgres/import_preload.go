package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/domain/user"
)

// chunkCache is what a chunk's rows will look up first, read in one round
// trip when the chunk begins: each row's recorded outcome and the users
// with its external id and e-mail address. An entry answers only until its
// row's outcome is recorded (then the row's own writes are what counts, and
// lookups go to the database again), so a row that names another row of the
// chunk as its manager sees that row's user once it exists. Rows of a job
// never share an external id or an e-mail address (duplicates are rejected
// before queueing), so no row changes what another row's entry says.
type chunkCache struct {
	tenantID, jobID string
	outcomes        map[int]command.Outcome // rows of the chunk; "" = none yet
	byExt, byEmail  map[string]*command.ImportTarget
	keys            map[int][2]string // row -> its external id and e-mail
}

// preloadChunk reads the chunk's lookups inside its transaction.
func preloadChunk(ctx context.Context, tx pgx.Tx, rows []command.ImportUserRow) (*chunkCache, error) {
	c := &chunkCache{tenantID: rows[0].TenantID, jobID: rows[0].JobID, outcomes: map[int]command.Outcome{},
		byExt: map[string]*command.ImportTarget{}, byEmail: map[string]*command.ImportTarget{}, keys: map[int][2]string{}}
	var nums []int
	var exts, emails []string
	for _, r := range rows {
		if r.JobID != c.jobID || r.TenantID != c.tenantID {
			return nil, errors.New("preload: a chunk's rows belong to one job")
		}
		nums = append(nums, r.Row)
		c.outcomes[r.Row] = ""
		ext, email := strings.TrimSpace(r.Fields[command.ColExternalID]), user.NormalizeEmail(r.Fields[command.ColEmail])
		c.keys[r.Row] = [2]string{ext, email}
		if ext != "" {
			exts, c.byExt[ext] = append(exts, ext), nil
		}
		if email != "" {
			emails, c.byEmail[email] = append(emails, email), nil
		}
	}
	b := &pgx.Batch{}
	b.Queue(`SELECT row_no, outcome FROM import_rows WHERE job_id = $1 AND row_no = ANY($2)`, c.jobID, nums).Query(func(rs pgx.Rows) error {
		var (
			n int
			o string
		)
		_, err := pgx.ForEachRow(rs, []any{&n, &o}, func() error { c.outcomes[n] = command.Outcome(o); return nil })
		return err
	})
	target := func(into map[string]*command.ImportTarget, key func(command.ImportTarget) string) func(pgx.Rows) error {
		return func(rs pgx.Rows) error {
			for rs.Next() {
				t, err := scanImportTarget(rs)
				if err != nil {
					return err
				}
				into[key(t)] = &t
			}
			return rs.Err()
		}
	}
	b.Queue(`SELECT `+userColumns+`, updated_at FROM users
		WHERE tenant_id = $1 AND status <> 'deleted' AND external_id = ANY($2)`, c.tenantID, exts).
		Query(target(c.byExt, func(t command.ImportTarget) string { return t.ExternalID }))
	b.Queue(`SELECT `+userColumns+`, updated_at FROM users
		WHERE tenant_id = $1 AND status <> 'deleted' AND email = ANY($2)`, c.tenantID, emails).
		Query(target(c.byEmail, func(t command.ImportTarget) string { return t.Email }))
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return nil, fmt.Errorf("preload import chunk: %w", err)
	}
	return c, nil
}

// outcome answers RowOutcome for a row of the chunk not yet recorded by it.
func (c *chunkCache) outcome(jobID string, row int) (command.Outcome, bool, bool) {
	if c == nil || jobID != c.jobID {
		return "", false, false
	}
	o, ok := c.outcomes[row]
	if !ok {
		return "", false, false
	}
	return o, o != "", true
}

// user answers a lookup by key, if the cache knows it.
func (c *chunkCache) user(tenantID string, byExt bool, key string) (command.ImportTarget, bool, bool) {
	if c == nil || tenantID != c.tenantID {
		return command.ImportTarget{}, false, false
	}
	m := c.byEmail
	if byExt {
		m = c.byExt
	}
	t, known := m[key]
	if !known {
		return command.ImportTarget{}, false, false
	}
	if t == nil {
		return command.ImportTarget{}, false, true
	}
	return *t, true, true
}

// recorded forgets a row's entries once its outcome is recorded.
func (c *chunkCache) recorded(jobID string, row int) {
	if c == nil || jobID != c.jobID {
		return
	}
	k := c.keys[row]
	delete(c.byExt, k[0])
	delete(c.byEmail, k[1])
	delete(c.outcomes, row)
	delete(c.keys, row)
}
