package command

import (
	"context"
	"fmt"
	"time"

	"github.com/userservice/userservice/app/auth"
)

// Token is a stored bearer token: only its hash is kept.
type Token struct {
	ID        string
	TenantID  string
	Role      auth.Role
	Hash      []byte
	ExpiresAt *time.Time
}

// IssueToken creates a bearer token for one tenant and role.
type IssueToken struct {
	TenantID string
	Role     auth.Role
	// TTL is the token's lifetime; zero means it does not expire.
	TTL time.Duration
}

// IssuedToken is the result: the plaintext is shown once and never stored.
type IssuedToken struct {
	Token
	Plaintext string
}

// IssueTokenHandler handles IssueToken.
type IssueTokenHandler Handler[IssueToken, IssuedToken]

// issueTokenHandler is IssueTokenHandler built by its constructor.
type issueTokenHandler struct {
	store TenantStore
	newID func() (string, error)
	now   func() time.Time
}

// NewIssueTokenHandler returns the IssueToken handler.
func NewIssueTokenHandler(store TenantStore, newID func() (string, error), now func() time.Time) (IssueTokenHandler, error) {
	if store == nil || newID == nil || now == nil {
		return nil, fmt.Errorf("NewIssueTokenHandler: nil dependency")
	}
	return issueTokenHandler{store: store, newID: newID, now: now}, nil
}

// Handle makes and stores the token.
func (h issueTokenHandler) Handle(ctx context.Context, cmd IssueToken) (IssuedToken, error) {
	if _, err := auth.ParseRole(string(cmd.Role)); err != nil {
		return IssuedToken{}, err
	}
	if cmd.TTL < 0 {
		return IssuedToken{}, fmt.Errorf("token lifetime must not be negative")
	}
	id, err := h.newID()
	if err != nil {
		return IssuedToken{}, err
	}
	plaintext, hash := auth.NewToken()
	t := Token{ID: id, TenantID: cmd.TenantID, Role: cmd.Role, Hash: hash}
	if cmd.TTL > 0 {
		exp := h.now().Add(cmd.TTL)
		t.ExpiresAt = &exp
	}
	if err := h.store.CreateToken(ctx, t); err != nil {
		return IssuedToken{}, err
	}
	return IssuedToken{Token: t, Plaintext: plaintext}, nil
}
