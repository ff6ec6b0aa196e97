package query

import (
	"context"
	"fmt"

	"github.com/userservice/userservice/domain/user"
)

// Page size limits for ListUsers.
const (
	DefaultPageSize = 50
	MaxPageSize     = 500
)

// ListUsers lists a tenant's users in a stable order (by id, which is
// time-ordered), filtered by any of the optional fields, one page at a time.
type ListUsers struct {
	TenantID   string
	Status     user.Status
	Email      string
	ExternalID string
	Department string
	// After is the opaque cursor of the previous page; empty for the first page.
	After string
	// Limit is the page size; 0 means DefaultPageSize.
	Limit int
}

// UserPage is one page of users and the cursor of the next (empty at the end).
type UserPage struct {
	Users      []user.Snapshot
	NextCursor string
}

// ListUsersHandler handles ListUsers.
type ListUsersHandler Handler[ListUsers, UserPage]

// listUsersHandler is ListUsersHandler built by its constructor.
type listUsersHandler struct{ users UserReader }

// NewListUsersHandler returns the ListUsers handler.
func NewListUsersHandler(users UserReader) (ListUsersHandler, error) {
	if users == nil {
		return nil, fmt.Errorf("NewListUsersHandler: nil reader")
	}
	return listUsersHandler{users: users}, nil
}

// Handle validates the filters and reads one page.
func (h listUsersHandler) Handle(ctx context.Context, q ListUsers) (UserPage, error) {
	switch {
	case q.Limit == 0:
		q.Limit = DefaultPageSize
	case q.Limit < 0 || q.Limit > MaxPageSize:
		return UserPage{}, fmt.Errorf("%w: limit must be between 1 and %d", ErrInvalidQuery, MaxPageSize)
	}
	if q.Status != "" && !q.Status.Valid() {
		return UserPage{}, fmt.Errorf("%w: status must be active or deactivated", ErrInvalidQuery)
	}
	if q.Email != "" {
		q.Email = user.NormalizeEmail(q.Email)
	}
	return h.users.ListUsers(ctx, q)
}
