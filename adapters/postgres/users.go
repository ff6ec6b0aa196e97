package postgres

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/userservice/userservice/adapters/personaldata"
	"github.com/userservice/userservice/app/query"
	"github.com/userservice/userservice/domain/user"
)

// Users reads the users read model and the event store.
type Users struct {
	pool      *pgxpool.Pool
	upcasters *user.Upcasters
	personal  *personaldata.Keys // nil: events stored in clear
}

// NewUsers returns the readers on pool.
func NewUsers(pool *pgxpool.Pool) *Users { return &Users{pool: pool, upcasters: user.EventUpcasters()} }

const userColumns = `id, tenant_id::text, email, given_name, family_name, display_name, department, title,
coalesce(manager_id::text, ''), coalesce(external_id, ''), locale, time_zone, status, version, username, attributes`

func scanUser(row pgx.Row) (user.Snapshot, error) {
	var (
		s     user.Snapshot
		id    [16]byte
		attrs []byte
	)
	err := row.Scan(&id, &s.TenantID, &s.Email, &s.GivenName, &s.FamilyName, &s.DisplayName, &s.Department,
		&s.Title, &s.ManagerID, &s.ExternalID, &s.Locale, &s.TimeZone, &s.Status, &s.Version, &s.Username, &attrs)
	s.ID = id
	if err != nil {
		return s, err
	}
	return s, setAttributes(&s, attrs)
}

// GetUser implements query.UserReader.
func (r *Users) GetUser(ctx context.Context, tenantID string, id user.ID) (user.Snapshot, error) {
	row := r.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE tenant_id = $1 AND id = $2 AND status <> 'deleted'`, tenantID, id)
	s, err := scanUser(row)
	if errors.Is(err, pgx.ErrNoRows) {
		return user.Snapshot{}, user.ErrNotFound
	}
	if err != nil {
		return user.Snapshot{}, fmt.Errorf("read user %s: %w", id, err)
	}
	return s, nil
}

// ListUsers implements query.UserReader: keyset pagination on id (UUIDv7,
// so creation order), which stays stable while users are added.
func (r *Users) ListUsers(ctx context.Context, q query.ListUsers) (query.UserPage, error) {
	// Deleted users keep a row (see migration 00007) but are not users any more.
	where := []string{"tenant_id = $1", "status <> 'deleted'"}
	args := []any{q.TenantID}
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(args))))
	}
	if q.After != "" {
		after, err := decodeCursor(q.After)
		if err != nil {
			return query.UserPage{}, err
		}
		add("id > ?", after)
	}
	if q.Status != "" {
		add("status = ?", string(q.Status))
	}
	if q.Email != "" {
		add("email = ?", q.Email)
	}
	if q.ExternalID != "" {
		add("external_id = ?", q.ExternalID)
	}
	if q.Department != "" {
		add("department = ?", q.Department)
	}
	args = append(args, q.Limit+1) // one more tells whether a next page exists
	sql := `SELECT ` + userColumns + ` FROM users WHERE ` + strings.Join(where, " AND ") +
		` ORDER BY id LIMIT $` + strconv.Itoa(len(args))
	rows, err := r.pool.Query(ctx, sql, args...)
	if err != nil {
		return query.UserPage{}, fmt.Errorf("list users: %w", err)
	}
	users, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (user.Snapshot, error) { return scanUser(row) })
	if err != nil {
		return query.UserPage{}, fmt.Errorf("list users: %w", err)
	}
	page := query.UserPage{Users: users}
	if len(users) > q.Limit {
		page.Users = users[:q.Limit]
		page.NextCursor = encodeCursor(page.Users[q.Limit-1].ID)
	}
	return page, nil
}

// Cursors are opaque to clients: the last id of the page, base64url.
func encodeCursor(id user.ID) string { return base64.RawURLEncoding.EncodeToString(id[:]) }

func decodeCursor(s string) ([16]byte, error) {
	var id [16]byte
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) != len(id) {
		return id, fmt.Errorf("%w: cursor %q was not issued by this service", query.ErrInvalidQuery, s)
	}
	copy(id[:], b)
	return id, nil
}

// StreamEvents implements query.EventReader. Events are upcast to their
// current types, as every reader of the store sees them.
func (r *Users) StreamEvents(ctx context.Context, tenantID string, id user.ID) ([]query.RecordedEvent, error) {
	rows, err := r.pool.Query(ctx, `
		SELECT event_id::text, type, stream_id, tenant_id::text, version, occurred_at, data, command_id,
		       correlation_id, actor, source, `+personaldata.KeyColumn+`
		FROM events WHERE stream_id = $1 AND tenant_id = $2 AND type LIKE 'user.%' ORDER BY version`, id, tenantID)
	if err != nil {
		return nil, fmt.Errorf("read events of %s: %w", id, err)
	}
	events, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (query.RecordedEvent, error) {
		var (
			e       query.RecordedEvent
			stream  [16]byte
			dataKey []byte
		)
		err := row.Scan(&e.ID, &e.Type, &stream, &e.TenantID, &e.Version, &e.OccurredAt, &e.Data,
			&e.CommandID, &e.CorrelationID, &e.Actor, &e.Source, &dataKey)
		if err != nil {
			return e, err
		}
		e.StreamID = stream
		if r.personal != nil {
			if e.Data, err = r.personal.Open(stream, e.Type, e.Data, dataKey); err != nil {
				return e, err
			}
		}
		e.CausationID = e.CommandID
		typ, data, err := r.upcasters.Upcast(e.Type, e.Data)
		e.Type, e.Data = typ, data
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("read events of %s: %w", id, err)
	}
	return events, nil
}
