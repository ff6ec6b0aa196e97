package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/userservice/userservice/app/command"
)

// ImportUsers reads the users read model for the import use cases: the HRIS
// sync's active external ids, and a user by key.
type ImportUsers struct{ pool *pgxpool.Pool }

// NewImportUsers returns the finder on pool.
func NewImportUsers(pool *pgxpool.Pool) *ImportUsers { return &ImportUsers{pool: pool} }

// UserByExternalID returns the user (not deleted) with the external id.
func (s *ImportUsers) UserByExternalID(ctx context.Context, tenantID, externalID string) (command.ImportTarget, bool, error) {
	return s.find(ctx, true, tenantID, externalID)
}

// UserByEmail returns the user (not deleted) with the e-mail address.
func (s *ImportUsers) UserByEmail(ctx context.Context, tenantID, email string) (command.ImportTarget, bool, error) {
	return s.find(ctx, false, tenantID, email)
}

func (s *ImportUsers) find(ctx context.Context, byExt bool, tenantID, key string) (command.ImportTarget, bool, error) {
	cond := `email = $2`
	if byExt {
		cond = `external_id = $2`
	}
	t, err := scanImportTarget(s.pool.QueryRow(ctx, `SELECT `+userColumns+`, updated_at FROM users
		WHERE tenant_id = $1 AND status <> 'deleted' AND `+cond, tenantID, key))
	if errors.Is(err, pgx.ErrNoRows) {
		return command.ImportTarget{}, false, nil
	}
	if err != nil {
		return command.ImportTarget{}, false, fmt.Errorf("find import target: %w", err)
	}
	return t, true, nil
}

func scanImportTarget(row pgx.Row) (command.ImportTarget, error) {
	var (
		t     command.ImportTarget
		id    [16]byte
		attrs []byte
	)
	err := row.Scan(&id, &t.TenantID, &t.Email, &t.GivenName, &t.FamilyName, &t.DisplayName, &t.Department,
		&t.Title, &t.ManagerID, &t.ExternalID, &t.Locale, &t.TimeZone, &t.Status, &t.Version, &t.Username, &attrs,
		&t.UpdatedAt)
	t.ID = id
	if err != nil {
		return t, err
	}
	return t, setAttributes(&t.Snapshot, attrs)
}

// ActiveExternalIDs implements command.ExternalIDLister.
func (s *ImportUsers) ActiveExternalIDs(ctx context.Context, tenantID string) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT external_id FROM users
		WHERE tenant_id = $1 AND status = 'active' AND external_id IS NOT NULL ORDER BY external_id`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("list external ids: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("list external ids: %w", err)
	}
	return ids, nil
}
