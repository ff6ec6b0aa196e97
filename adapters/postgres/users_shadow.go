package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/userservice/userservice/adapters/projection"
	"github.com/userservice/userservice/domain/user"
)

// UsersRebuild is the users read model as a projection.Target: it is
// rebuilt in users_shadow, under the rebuild's scope (no constraint but the
// key, so rows may arrive in any order), and swapped into users row by row:
// the live table is never replaced, so its constraints keep the names the
// unit of work maps to domain errors, and its indexes, statistics and grants
// stay as they are.
type UsersRebuild struct{}

// NewUsersRebuild returns the users read model's rebuild target.
func NewUsersRebuild() UsersRebuild { return UsersRebuild{} }

// Name implements projection.Target.
func (UsersRebuild) Name() string { return "users" }

// Apply implements projection.Target: the catch-up of the shadow. It
// reads the rows of the batch's streams once, applies the events in memory
// and writes back the rows that changed, in one round trip each way.
func (UsersRebuild) Apply(ctx context.Context, tx pgx.Tx, scope string, events []projection.Event) ([]user.ID, error) {
	rows, err := shadowRows(ctx, tx, shadowScope(scope), streamIDs(events))
	if err != nil {
		return nil, err
	}
	changed, err := applyAll(rows, events)
	if err != nil || len(changed) == 0 {
		return nil, err
	}
	b := &pgx.Batch{}
	ids := make([]user.ID, len(changed))
	for i, row := range changed {
		b.Queue(upsertShadowSQL, append([]any{shadowScope(scope)}, row.values()...)...)
		ids[i] = row.ID
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return nil, fmt.Errorf("write users_shadow: %w", err)
	}
	return ids, nil
}

// Load implements projection.Target: whole streams, folded in memory and
// copied in.
func (u UsersRebuild) Load(ctx context.Context, tx pgx.Tx, scope string, events []projection.Event) (int, error) {
	prepared, err := u.PrepareLoad(scope, events)
	if err != nil {
		return 0, err
	}
	return u.LoadPrepared(ctx, tx, prepared)
}

// PrepareLoad implements projection.PreparedLoader: the streams folded
// into the shadow's rows, as COPY values.
func (UsersRebuild) PrepareLoad(scope string, events []projection.Event) (any, error) {
	rows, err := foldStreams(events)
	if err != nil {
		return nil, err
	}
	src := make([][]any, len(rows))
	for i, row := range rows {
		if src[i], err = row.copyValues(shadowScope(scope)); err != nil {
			return nil, err
		}
	}
	return src, nil
}

// foldStreams folds whole streams, each from version 1 and in version order
// (what Load is given), into their rows: one aggregate per stream, every
// event applied to it in turn. applyAll, which must also take a stream in
// parts, restores the aggregate from the row and snapshots it again for
// every event: a third of a bulk load's folding, measured.
func foldStreams(events []projection.Event) ([]userRow, error) {
	var (
		rows     []userRow
		payloads []user.Event
	)
	for i := 0; i < len(events); {
		id, j := events[i].StreamID, i
		payloads = payloads[:0]
		for ; j < len(events) && events[j].StreamID == id; j++ {
			if want := j - i + 1; events[j].Version != want {
				return nil, fmt.Errorf("users: stream %s: event version %d where version %d was due", id, events[j].Version, want)
			}
			payloads = append(payloads, events[j].Payload)
		}
		u, err := user.FromHistory(id, payloads)
		if err != nil {
			return nil, err
		}
		rows = append(rows, userRow{Snapshot: u.Snapshot(), CreatedAt: events[i].OccurredAt, UpdatedAt: events[j-1].OccurredAt})
		i = j
	}
	return rows, nil
}

// LoadPrepared implements projection.PreparedLoader.
func (UsersRebuild) LoadPrepared(ctx context.Context, tx pgx.Tx, prepared any) (int, error) {
	src, ok := prepared.([][]any)
	if !ok {
		return 0, fmt.Errorf("users: prepared load of type %T", prepared)
	}
	n, err := tx.CopyFrom(ctx, pgx.Identifier{"users_shadow"}, shadowColumns, pgx.CopyFromRows(src))
	if err != nil {
		return 0, fmt.Errorf("copy into users_shadow: %w", err)
	}
	return int(n), nil
}

// copyValues are the shadow's column values for COPY, which speaks the
// binary format only: UUIDs as 16 bytes, not as text that pgx would first
// fail to encode, then parse (most of a bulk load's time, measured).
func (r userRow) copyValues(scope user.ID) ([]any, error) {
	tenant, err := user.ParseID(r.TenantID)
	if err != nil {
		return nil, fmt.Errorf("users: stream %s: tenant id %q: %w", r.ID, r.TenantID, err)
	}
	var manager any
	if r.ManagerID != "" {
		m, err := user.ParseID(r.ManagerID)
		if err != nil {
			return nil, fmt.Errorf("users: stream %s: manager id %q: %w", r.ID, r.ManagerID, err)
		}
		manager = [16]byte(m)
	}
	return []any{[16]byte(scope), [16]byte(r.ID), [16]byte(tenant), r.Email, r.GivenName, r.FamilyName, r.DisplayName,
		r.Department, r.Title, manager, nullable(r.ExternalID), r.Locale, r.TimeZone, string(r.Status), int32(r.Version),
		r.CreatedAt, r.UpdatedAt, r.Username, attributesOf(r.Snapshot)}, nil
}

// LockLive implements projection.Target: EXCLUSIVE conflicts with the ROW
// EXCLUSIVE lock every insert and update of users takes, and with nothing
// a reader takes.
func (UsersRebuild) LockLive(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `LOCK TABLE users IN EXCLUSIVE MODE`)
	return err
}

// Swap implements projection.Target: the streams' live rows are deleted,
// then copied back from the shadow. Deleting first means no unique
// constraint (e-mail, external id) ever sees two rows at once; the manager
// reference, which a report copied before its manager would break for a
// moment, is checked at commit (users_manager_fkey is deferrable).
func (UsersRebuild) Swap(ctx context.Context, tx pgx.Tx, tenantID string, streams []user.ID) (deleted, inserted int, err error) {
	if _, err := tx.Exec(ctx, `SET CONSTRAINTS users_manager_fkey DEFERRED`); err != nil {
		return 0, 0, err
	}
	del, err := tx.Exec(ctx, `DELETE FROM users WHERE id = ANY($1) AND ($2 = '' OR tenant_id = nullif($2, '')::uuid)`,
		streams, tenantID)
	if err != nil {
		return 0, 0, translate(err)
	}
	cols := strings.Join(userRowColumns, ", ")
	ins, err := tx.Exec(ctx, `INSERT INTO users (`+cols+`) SELECT `+cols+` FROM users_shadow
		WHERE scope = $2 AND id = ANY($1)`, streams, shadowScope(tenantID))
	if err != nil {
		return 0, 0, translate(err)
	}
	if _, err := tx.Exec(ctx, `SET CONSTRAINTS users_manager_fkey IMMEDIATE`); err != nil {
		return 0, 0, translate(err)
	}
	return int(del.RowsAffected()), int(ins.RowsAffected()), nil
}

// shadowScope is the users_shadow scope of a rebuild of tenantID: the
// tenant's id, or the nil UUID for every tenant. A UUID, not text, keeps the
// shadow's key short and quick to compare.
func shadowScope(tenantID string) user.ID {
	id, err := user.ParseID(tenantID)
	if err != nil {
		return user.ID{} // every tenant; the rebuilder checked any tenant id it was given
	}
	return id
}

// shadowColumns are the columns of users_shadow: the scope, then the row.
var shadowColumns = append([]string{"scope"}, userRowColumns...)

// upsertShadowSQL writes a row of the shadow (scope, then userRow.values),
// whatever it held before.
var upsertShadowSQL = func() string {
	set := make([]string, 0, len(shadowColumns))
	params := make([]string, len(shadowColumns))
	for i, c := range shadowColumns {
		params[i] = "$" + strconv.Itoa(i+1)
		if c != "id" && c != "scope" {
			set = append(set, c+" = excluded."+c)
		}
	}
	return `INSERT INTO users_shadow (` + strings.Join(shadowColumns, ", ") + `) VALUES (` + strings.Join(params, ", ") +
		`) ON CONFLICT (scope, id) DO UPDATE SET ` + strings.Join(set, ", ")
}()

func shadowRows(ctx context.Context, q pgx.Tx, scope user.ID, ids []user.ID) (map[user.ID]*userRow, error) {
	rows, err := q.Query(ctx, `SELECT `+userRowSelect+` FROM users_shadow WHERE scope = $1 AND id = ANY($2)`, scope, ids)
	if err != nil {
		return nil, fmt.Errorf("read users_shadow: %w", err)
	}
	out := make(map[user.ID]*userRow, len(ids))
	_, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (struct{}, error) {
		r, err := scanUserRow(row)
		out[r.ID] = &r
		return struct{}{}, err
	})
	if err != nil {
		return nil, fmt.Errorf("read users_shadow: %w", err)
	}
	return out, nil
}

var _ projection.Target = UsersRebuild{}
