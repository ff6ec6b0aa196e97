package query

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"time"

	"github.com/userservice/userservice/app/auth"
)

// StoredToken is a token as the store keeps it.
type StoredToken struct {
	auth.Principal
	Hash      []byte
	ExpiresAt *time.Time
	Revoked   bool
}

// TokenReader finds a token by its hash; a missing one is auth.ErrUnauthenticated.
type TokenReader interface {
	TokenByHash(ctx context.Context, hash []byte) (StoredToken, error)
}

// AuthenticateHandler turns a presented bearer token into a principal.
type AuthenticateHandler Handler[string, auth.Principal]

// authenticateHandler is AuthenticateHandler built by its constructor.
type authenticateHandler struct {
	tokens TokenReader
	now    func() time.Time
}

// NewAuthenticateHandler returns the handler.
func NewAuthenticateHandler(tokens TokenReader, now func() time.Time) (AuthenticateHandler, error) {
	if tokens == nil || now == nil {
		return nil, fmt.Errorf("NewAuthenticateHandler: nil dependency")
	}
	return authenticateHandler{tokens: tokens, now: now}, nil
}

// Handle returns the principal, or auth.ErrUnauthenticated for a token that is
// unknown, revoked or expired. A token that does not have the shape of an
// issued one is refused without a lookup.
func (h authenticateHandler) Handle(ctx context.Context, token string) (auth.Principal, error) {
	if !auth.WellFormedToken(token) {
		return auth.Principal{}, auth.ErrUnauthenticated
	}
	hash := auth.HashToken(token)
	t, err := h.tokens.TokenByHash(ctx, hash)
	if err != nil {
		if errors.Is(err, auth.ErrUnauthenticated) {
			return auth.Principal{}, err
		}
		return auth.Principal{}, fmt.Errorf("look up token: %w", err)
	}
	// The lookup is by hash already; comparing in constant time keeps the
	// check honest even if the store ever matched on a prefix.
	if subtle.ConstantTimeCompare(t.Hash, hash) != 1 || t.Revoked ||
		(t.ExpiresAt != nil && !h.now().Before(*t.ExpiresAt)) {
		return auth.Principal{}, auth.ErrUnauthenticated
	}
	return t.Principal, nil
}
