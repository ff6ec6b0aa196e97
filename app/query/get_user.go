package query

import (
	"context"
	"fmt"

	"github.com/userservice/userservice/domain/user"
)

// GetUser reads one user of a tenant.
type GetUser struct {
	TenantID string
	UserID   user.ID
}

// UserReader reads the users read model. A user of another tenant is
// user.ErrNotFound, exactly like a missing one.
type UserReader interface {
	GetUser(ctx context.Context, tenantID string, id user.ID) (user.Snapshot, error)
	ListUsers(ctx context.Context, q ListUsers) (UserPage, error)
}

// GetUserHandler handles GetUser.
type GetUserHandler Handler[GetUser, user.Snapshot]

// getUserHandler is GetUserHandler built by its constructor.
type getUserHandler struct{ users UserReader }

// NewGetUserHandler returns the GetUser handler.
func NewGetUserHandler(users UserReader) (GetUserHandler, error) {
	if users == nil {
		return nil, fmt.Errorf("NewGetUserHandler: nil reader")
	}
	return getUserHandler{users: users}, nil
}

// Handle returns the user or user.ErrNotFound.
func (h getUserHandler) Handle(ctx context.Context, q GetUser) (user.Snapshot, error) {
	return h.users.GetUser(ctx, q.TenantID, q.UserID)
}
