package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/userservice/userservice/app/command"
)

// ImportUsers finds the users import rows apply to, in the users read model.
type ImportUsers struct{ pool *pgxpool.Pool }

// NewImportUsers returns the finder on pool.
func NewImportUsers(pool *pgxpool.Pool) *ImportUsers { return &ImportUsers{pool: pool} }

// UserByExternalID implements command.ImportUserFinder.
func (s *ImportUsers) UserByExternalID(ctx context.Context, tenantID, externalID string) (command.ImportTarget, bool, error) {
	return s.find(ctx, true, tenantID, externalID)
}

// UserByEmail implements command.ImportUserFinder.
func (s *ImportUsers) UserByEmail(ctx context.Context, tenantID, email string) (command.ImportTarget, bool, error) {
	return s.find(ctx, false, tenantID, email)
}

// find answers from the chunk's preloaded lookups when it can.
func (s *ImportUsers) find(ctx context.Context, byExt bool, tenantID, key string) (command.ImportTarget, bool, error) {
	if st := inBatch(ctx); st != nil {
		if t, found, known := st.cache.user(tenantID, byExt, key); known {
			return t, found, nil
		}
	}
	cond := `email = $2`
	if byExt {
		cond = `external_id = $2`
	}
	t, err := scanImportTarget(dbFor(ctx, s.pool).QueryRow(ctx, `SELECT `+userColumns+`, updated_at FROM users
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
		t  command.ImportTarget
		id [16]byte
	)
	err := row.Scan(&id, &t.TenantID, &t.Email, &t.GivenName, &t.FamilyName, &t.DisplayName, &t.Department,
		&t.Title, &t.ManagerID, &t.ExternalID, &t.Locale, &t.TimeZone, &t.Status, &t.Version, &t.UpdatedAt)
	t.ID = id
	return t, err
}

// CommandType implements command.ImportUserFinder.
func (s *ImportUsers) CommandType(ctx context.Context, tenantID, commandID string) (string, bool, error) {
	var typ string
	err := dbFor(ctx, s.pool).QueryRow(ctx, `SELECT type FROM commands WHERE tenant_id = $1 AND command_id = $2`, tenantID, commandID).Scan(&typ)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("read recorded command: %w", err)
	}
	return typ, true, nil
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
