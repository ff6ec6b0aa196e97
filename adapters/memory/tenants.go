package memory

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/userservice/userservice/app/auth"
	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/app/query"
)

// Tenants implements command.TenantStore and the tenant and token readers
// (query.TenantReader, query.TokenReader, query.TokenLister) on a Store.
type Tenants struct{ s *Store }

var (
	_ command.TenantStore = (*Tenants)(nil)
	_ query.TenantReader  = (*Tenants)(nil)
	_ query.TokenReader   = (*Tenants)(nil)
	_ query.TokenLister   = (*Tenants)(nil)
)

// NewTenants returns the tenants and tokens of s.
func NewTenants(s *Store) *Tenants { return &Tenants{s: s} }

type token struct {
	command.Token
	created time.Time
	revoked *time.Time
}

// CreateTenant implements command.TenantStore; an id in use is an error.
func (t *Tenants) CreateTenant(ctx context.Context, tn command.Tenant) error {
	t.s.mu.Lock()
	defer t.s.mu.Unlock()
	if _, ok := t.s.tenants[tn.ID]; ok {
		return fmt.Errorf("create tenant: id %s in use", tn.ID)
	}
	t.s.tenants[tn.ID] = &tenant{id: tn.ID, name: tn.Name, seatLimit: tn.Seats}
	return nil
}

// CreateToken implements command.TenantStore; the tenant must exist.
func (t *Tenants) CreateToken(ctx context.Context, tk command.Token) error {
	t.s.mu.Lock()
	defer t.s.mu.Unlock()
	if _, ok := t.s.tenants[tk.TenantID]; !ok {
		return fmt.Errorf("create token for tenant %s: %w", tk.TenantID, query.ErrTenantNotFound)
	}
	if _, ok := t.s.tokens[tk.ID]; ok {
		return fmt.Errorf("create token: id %s in use", tk.ID)
	}
	t.s.tokens[tk.ID] = &token{Token: tk, created: t.s.now()}
	return nil
}

// RevokeToken implements command.TenantStore: revoking twice is harmless; a
// token the tenant does not have is command.ErrTokenNotFound.
func (t *Tenants) RevokeToken(ctx context.Context, tenantID, tokenID string) error {
	t.s.mu.Lock()
	defer t.s.mu.Unlock()
	tk := t.s.tokens[tokenID]
	if tk == nil || tk.TenantID != tenantID {
		return command.ErrTokenNotFound
	}
	if tk.revoked == nil {
		now := t.s.now()
		tk.revoked = &now
	}
	return nil
}

// TenantByID implements query.TenantReader.
func (t *Tenants) TenantByID(ctx context.Context, id string) (query.TenantInfo, error) {
	t.s.mu.Lock()
	defer t.s.mu.Unlock()
	tn := t.s.tenants[id]
	if tn == nil {
		return query.TenantInfo{}, query.ErrTenantNotFound
	}
	return query.TenantInfo{ID: tn.id, Name: tn.name, SeatLimit: tn.seatLimit, SeatsUsed: tn.used}, nil
}

// TokenByHash implements query.TokenReader: an unknown hash is
// auth.ErrUnauthenticated.
func (t *Tenants) TokenByHash(ctx context.Context, hash []byte) (query.StoredToken, error) {
	t.s.mu.Lock()
	defer t.s.mu.Unlock()
	for _, tk := range t.s.tokens {
		if bytes.Equal(tk.Hash, hash) {
			return query.StoredToken{Principal: auth.Principal{TokenID: tk.ID, TenantID: tk.TenantID, Role: tk.Role},
				Hash: tk.Hash, ExpiresAt: tk.ExpiresAt, Revoked: tk.revoked != nil}, nil
		}
	}
	return query.StoredToken{}, auth.ErrUnauthenticated
}

// TokensOf implements query.TokenLister: newest first, at most limit.
func (t *Tenants) TokensOf(ctx context.Context, tenantID string, limit int) ([]query.TokenInfo, error) {
	t.s.mu.Lock()
	var mine []*token
	for _, tk := range t.s.tokens {
		if tk.TenantID == tenantID {
			mine = append(mine, tk)
		}
	}
	t.s.mu.Unlock()
	slices.SortFunc(mine, func(a, b *token) int {
		if c := b.created.Compare(a.created); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	out := []query.TokenInfo{}
	for _, tk := range mine[:min(limit, len(mine))] {
		out = append(out, query.TokenInfo{ID: tk.ID, Role: tk.Role, CreatedAt: tk.created, ExpiresAt: tk.ExpiresAt, RevokedAt: tk.revoked})
	}
	return out, nil
}
