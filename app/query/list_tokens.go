package query

import (
	"context"
	"fmt"
	"time"

	"github.com/userservice/userservice/app/auth"
)

// ListTokens lists a tenant's API tokens, newest first, without their
// secrets (only hashes are stored), so an admin can see which to revoke.
type ListTokens struct {
	TenantID string
}

// MaxListedTokens bounds ListTokens: a tenant with more tokens than this has
// a problem no list fixes.
const MaxListedTokens = 1000

// TokenInfo is a token as an admin sees it.
type TokenInfo struct {
	ID        string
	Role      auth.Role
	CreatedAt time.Time
	ExpiresAt *time.Time
	RevokedAt *time.Time
}

// TokenLister lists a tenant's tokens, newest first, at most limit.
type TokenLister interface {
	TokensOf(ctx context.Context, tenantID string, limit int) ([]TokenInfo, error)
}

// ListTokensHandler handles ListTokens.
type ListTokensHandler Handler[ListTokens, []TokenInfo]

// listTokensHandler is ListTokensHandler built by its constructor.
type listTokensHandler struct{ tokens TokenLister }

// NewListTokensHandler returns the ListTokens handler.
func NewListTokensHandler(tokens TokenLister) (ListTokensHandler, error) {
	if tokens == nil {
		return nil, fmt.Errorf("NewListTokensHandler: nil lister")
	}
	return listTokensHandler{tokens: tokens}, nil
}

// Handle returns the tokens.
func (h listTokensHandler) Handle(ctx context.Context, q ListTokens) ([]TokenInfo, error) {
	return h.tokens.TokensOf(ctx, q.TenantID, MaxListedTokens)
}
