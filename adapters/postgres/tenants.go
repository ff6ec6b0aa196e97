package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/userservice/userservice/app/auth"
	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/app/query"
)

// Tenants stores tenants and their bearer tokens.
type Tenants struct{ pool *pgxpool.Pool }

// NewTenants returns the store on pool.
func NewTenants(pool *pgxpool.Pool) *Tenants { return &Tenants{pool: pool} }

// ErrTenantNotFound is returned for a token or an import job of a tenant that
// does not exist: the app's query.ErrTenantNotFound (kind not found), so every
// port answers it as the missing tenant it is.
var ErrTenantNotFound = query.ErrTenantNotFound

// CreateTenant implements command.TenantStore.
func (s *Tenants) CreateTenant(ctx context.Context, t command.Tenant) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO tenants (id, name, seat_limit) VALUES ($1, $2, $3)`, t.ID, t.Name, t.Seats)
	if err != nil {
		return fmt.Errorf("create tenant: %w", err)
	}
	return nil
}

// CreateToken implements command.TenantStore.
func (s *Tenants) CreateToken(ctx context.Context, t command.Token) error {
	tag, err := s.pool.Exec(ctx, `
		INSERT INTO api_tokens (id, tenant_id, role, token_hash, expires_at)
		SELECT $1, id, $3, $4, $5 FROM tenants WHERE id = $2`,
		t.ID, t.TenantID, string(t.Role), t.Hash, t.ExpiresAt)
	if err != nil {
		return fmt.Errorf("create token: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("create token for tenant %s: %w", t.TenantID, ErrTenantNotFound)
	}
	return nil
}

// RevokeToken implements command.TenantStore. Revoking twice is harmless. A
// token the tenant does not have, or an id that is no UUID (the column's
// type), is command.ErrTokenNotFound.
func (s *Tenants) RevokeToken(ctx context.Context, tenantID, tokenID string) error {
	if uuid.Validate(tenantID) != nil || uuid.Validate(tokenID) != nil {
		return command.ErrTokenNotFound
	}
	tag, err := s.pool.Exec(ctx, `
		UPDATE api_tokens SET revoked_at = coalesce(revoked_at, now()) WHERE tenant_id = $1 AND id = $2`,
		tenantID, tokenID)
	if err != nil {
		return fmt.Errorf("revoke token: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return command.ErrTokenNotFound
	}
	return nil
}

// TokenByHash implements query.TokenReader.
func (s *Tenants) TokenByHash(ctx context.Context, hash []byte) (query.StoredToken, error) {
	var (
		t    query.StoredToken
		role string
	)
	err := s.pool.QueryRow(ctx, `
		SELECT id::text, tenant_id::text, role, token_hash, expires_at, revoked_at IS NOT NULL
		FROM api_tokens WHERE token_hash = $1`, hash).
		Scan(&t.TokenID, &t.TenantID, &role, &t.Hash, &t.ExpiresAt, &t.Revoked)
	if errors.Is(err, pgx.ErrNoRows) {
		return query.StoredToken{}, auth.ErrUnauthenticated
	}
	if err != nil {
		return query.StoredToken{}, fmt.Errorf("read token: %w", err)
	}
	t.Role = auth.Role(role)
	return t, nil
}
