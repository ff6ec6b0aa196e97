package command

import (
	"context"
	"fmt"

	"github.com/userservice/userservice/app/errkind"
)

// ErrTokenNotFound means the tenant has no token with that id. A token of
// another tenant is not found either, so a caller learns nothing about it.
var ErrTokenNotFound = errkind.New(errkind.NotFound, "not_found", "token not found in this tenant")

// RevokeToken stops a bearer token from authenticating, from the next request
// on. Revoking a revoked token again is harmless and reports no error.
type RevokeToken struct {
	TenantID string
	TokenID  string
}

// RevokeTokenHandler handles RevokeToken. It is what every port uses (the
// admin API and usersctl), so revocation has one definition.
type RevokeTokenHandler Handler[RevokeToken, Nothing]

// revokeTokenHandler is RevokeTokenHandler built by its constructor.
type revokeTokenHandler struct {
	store TenantStore
}

// NewRevokeTokenHandler returns the RevokeToken handler.
func NewRevokeTokenHandler(store TenantStore) (RevokeTokenHandler, error) {
	if store == nil {
		return nil, fmt.Errorf("NewRevokeTokenHandler: nil dependency")
	}
	return revokeTokenHandler{store: store}, nil
}

// Handle revokes the token, or returns ErrTokenNotFound when the tenant has no
// such token (including a token of another tenant, and an id that cannot be
// one).
func (h revokeTokenHandler) Handle(ctx context.Context, cmd RevokeToken) (Nothing, error) {
	return Nothing{}, h.revoke(ctx, cmd)
}

func (h revokeTokenHandler) revoke(ctx context.Context, cmd RevokeToken) error {
	if cmd.TenantID == "" || cmd.TokenID == "" {
		return ErrTokenNotFound
	}
	if err := h.store.RevokeToken(ctx, cmd.TenantID, cmd.TokenID); err != nil {
		return fmt.Errorf("revoke token %s: %w", cmd.TokenID, err)
	}
	return nil
}
