package query

import (
	"context"
	"fmt"
	"time"

	"github.com/userservice/userservice/domain/user"
)

// SearchUsers finds a tenant's users by a Filter, in creation order, one
// offset page at a time. It serves protocols that page by position (SCIM's
// startIndex/count) and need the total; the admin API's ListUsers pages by
// cursor instead. Deleted users are never found.
type SearchUsers struct {
	TenantID string
	// Filter selects users; nil selects all.
	Filter Filter
	// Offset is how many matching users to skip (0: from the first).
	Offset int
	// Limit is the page size: 0 asks for the total only; at most MaxSearchPageSize.
	Limit int
}

// MaxSearchPageSize bounds a page of SearchUsers.
const MaxSearchPageSize = 1000

// UserRecord is a user as the read model keeps them: the state and when its
// first and last event happened.
type UserRecord struct {
	user.Snapshot
	Created      time.Time
	LastModified time.Time
}

// SearchResult is one page and the number of matching users in all.
type SearchResult struct {
	Users []UserRecord
	Total int
}

// UserSearcher runs searches on the users read model.
type UserSearcher interface {
	SearchUsers(ctx context.Context, q SearchUsers) (SearchResult, error)
}

// SearchUsersHandler handles SearchUsers.
type SearchUsersHandler Handler[SearchUsers, SearchResult]

// searchUsersHandler is SearchUsersHandler built by its constructor.
type searchUsersHandler struct{ users UserSearcher }

// NewSearchUsersHandler returns the handler.
func NewSearchUsersHandler(users UserSearcher) (SearchUsersHandler, error) {
	if users == nil {
		return nil, fmt.Errorf("NewSearchUsersHandler: nil searcher")
	}
	return searchUsersHandler{users: users}, nil
}

// Handle validates the query and reads one page.
func (h searchUsersHandler) Handle(ctx context.Context, q SearchUsers) (SearchResult, error) {
	if q.Offset < 0 {
		return SearchResult{}, fmt.Errorf("%w: offset must not be negative", ErrInvalidQuery)
	}
	if q.Limit < 0 || q.Limit > MaxSearchPageSize {
		return SearchResult{}, fmt.Errorf("%w: limit must be between 0 and %d", ErrInvalidQuery, MaxSearchPageSize)
	}
	if err := validateFilter(q.Filter, 0); err != nil {
		return SearchResult{}, err
	}
	return h.users.SearchUsers(ctx, q)
}
