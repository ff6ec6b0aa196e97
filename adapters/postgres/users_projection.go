package postgres

import (
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/userservice/userservice/adapters/projection"
	"github.com/userservice/userservice/domain/user"
)

// userRow is one row of the users read model: a user's state after the
// events of their stream so far, and when the first and the last happened.
type userRow struct {
	user.Snapshot
	CreatedAt time.Time
	UpdatedAt time.Time
}

// applyUserEvent is the definition of the users read model: the row after
// e, given the row before it (nil when the stream has none yet). Both drivers
// use it: the unit of work inline, in the command's transaction, and replay,
// bulk loading and catching up a shadow. The state change itself is the
// domain's (user.Apply), so the model cannot disagree with the aggregate.
//
// An event the row already reflects (version not above the row's) returns
// the row unchanged and false; a stream's events must otherwise come in
// order, none skipped.
func applyUserEvent(prev *userRow, e projection.Event) (userRow, bool, error) {
	if prev == nil {
		if e.Version != 1 {
			return userRow{}, false, fmt.Errorf("users: stream %s has no row yet, so its event version %d is out of order", e.StreamID, e.Version)
		}
		u, err := user.FromHistory(e.StreamID, []user.Event{e.Payload})
		if err != nil {
			return userRow{}, false, err
		}
		return userRow{Snapshot: u.Snapshot(), CreatedAt: e.OccurredAt, UpdatedAt: e.OccurredAt}, true, nil
	}
	switch {
	case e.Version <= prev.Version:
		return *prev, false, nil
	case e.Version > prev.Version+1:
		return *prev, false, fmt.Errorf("users: stream %s is at version %d, so its event version %d skips one", e.StreamID, prev.Version, e.Version)
	}
	u := user.Restore(prev.Snapshot)
	u.Apply(e.Payload)
	return userRow{Snapshot: u.Snapshot(), CreatedAt: prev.CreatedAt, UpdatedAt: e.OccurredAt}, true, nil
}

// userRowColumns are the users read model's columns, in userRow.values order.
var userRowColumns = []string{"id", "tenant_id", "email", "given_name", "family_name", "display_name", "department",
	"title", "manager_id", "external_id", "locale", "time_zone", "status", "version", "created_at", "updated_at",
	"username", "attributes"}

// userRowSelect selects userRowColumns in the form scanUserRow reads.
const userRowSelect = `id, tenant_id::text, email, given_name, family_name, display_name, department, title,
coalesce(manager_id::text, ''), coalesce(external_id, ''), locale, time_zone, status, version, created_at, updated_at,
username, attributes`

// values are the row's column values, in userRowColumns order.
func (r userRow) values() []any {
	return []any{r.ID, r.TenantID, r.Email, r.GivenName, r.FamilyName, r.DisplayName, r.Department, r.Title,
		nullable(r.ManagerID), nullable(r.ExternalID), r.Locale, r.TimeZone, string(r.Status), r.Version,
		r.CreatedAt, r.UpdatedAt, r.Username, attributesOf(r.Snapshot)}
}

func scanUserRow(row pgx.Row) (userRow, error) {
	var (
		r     userRow
		id    [16]byte
		attrs []byte
	)
	err := row.Scan(&id, &r.TenantID, &r.Email, &r.GivenName, &r.FamilyName, &r.DisplayName, &r.Department,
		&r.Title, &r.ManagerID, &r.ExternalID, &r.Locale, &r.TimeZone, &r.Status, &r.Version, &r.CreatedAt, &r.UpdatedAt,
		&r.Username, &attrs)
	r.ID = id
	r.CreatedAt, r.UpdatedAt = r.CreatedAt.UTC(), r.UpdatedAt.UTC()
	if err != nil {
		return r, err
	}
	return r, setAttributes(&r.Snapshot, attrs)
}

// queueInlineUserWrite queues, into the command's batch, the users write of
// events decided on current (nil for a new user): the insert of a new row,
// or the update of the row the command read, guarded by its version so that
// a lost race is a version conflict, never a lost update. The guard fails in
// the database (updateUserCheckedSQL), so it holds with the COMMIT queued
// behind it.
func queueInlineUserWrite(b *pgx.Batch, current *user.User, events []projection.Event) error {
	var prev *userRow
	if current != nil {
		prev = &userRow{Snapshot: current.Snapshot()}
	}
	row := prev
	for _, e := range events {
		next, _, err := applyUserEvent(row, e)
		if err != nil {
			return err
		}
		row = &next
	}
	if prev == nil {
		b.Queue(insertUserSQL, row.values()...)
		return nil
	}
	v := row.values()
	args := append(v[:14], row.UpdatedAt, prev.Version, row.Username, v[17])
	b.Queue(updateUserCheckedSQL, args...)
	return nil
}

// applyAll applies events to rows (by stream; absent: no row yet) and
// returns the rows that changed, in the order their streams first changed.
func applyAll(rows map[user.ID]*userRow, events []projection.Event) ([]*userRow, error) {
	var order []user.ID
	changed := map[user.ID]bool{}
	for _, e := range events {
		next, ok, err := applyUserEvent(rows[e.StreamID], e)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		rows[e.StreamID] = &next
		if !changed[e.StreamID] {
			changed[e.StreamID] = true
			order = append(order, e.StreamID)
		}
	}
	out := make([]*userRow, len(order))
	for i, id := range order {
		out[i] = rows[id]
	}
	return out, nil
}

func streamIDs(events []projection.Event) []user.ID {
	seen := make(map[user.ID]struct{}, len(events))
	ids := make([]user.ID, 0, len(events))
	for _, e := range events {
		if _, ok := seen[e.StreamID]; !ok {
			seen[e.StreamID] = struct{}{}
			ids = append(ids, e.StreamID)
		}
	}
	return ids
}
