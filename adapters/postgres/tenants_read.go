package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/userservice/userservice/app/auth"
	"github.com/userservice/userservice/app/query"
)

// TenantByID implements query.TenantReader.
func (s *Tenants) TenantByID(ctx context.Context, id string) (query.TenantInfo, error) {
	if uuid.Validate(id) != nil {
		return query.TenantInfo{}, query.ErrTenantNotFound
	}
	t := query.TenantInfo{ID: id}
	err := s.pool.QueryRow(ctx, `SELECT name, seat_limit, seats_used FROM tenants WHERE id = $1`, id).
		Scan(&t.Name, &t.SeatLimit, &t.SeatsUsed)
	if errors.Is(err, pgx.ErrNoRows) {
		return query.TenantInfo{}, query.ErrTenantNotFound
	}
	if err != nil {
		return query.TenantInfo{}, fmt.Errorf("read tenant: %w", err)
	}
	return t, nil
}

// TokensOf implements query.TokenLister.
func (s *Tenants) TokensOf(ctx context.Context, tenantID string, limit int) ([]query.TokenInfo, error) {
	if uuid.Validate(tenantID) != nil {
		return []query.TokenInfo{}, nil
	}
	rows, err := s.pool.Query(ctx, `
		SELECT id::text, role, created_at, expires_at, revoked_at FROM api_tokens
		WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2`, tenantID, limit)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	out := []query.TokenInfo{}
	for rows.Next() {
		var (
			t    query.TokenInfo
			role string
		)
		if err := rows.Scan(&t.ID, &role, &t.CreatedAt, &t.ExpiresAt, &t.RevokedAt); err != nil {
			rows.Close()
			return nil, fmt.Errorf("list tokens: %w", err)
		}
		t.Role = auth.Role(role)
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return out, nil
}
