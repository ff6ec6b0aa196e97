package query

import (
	"context"
	"fmt"

	"github.com/userservice/userservice/domain/user"
)

// GetUserRecord reads one user of a tenant with its timestamps.
type GetUserRecord struct {
	TenantID string
	UserID   user.ID
}

// GetUserRecordHandler handles GetUserRecord.
type GetUserRecordHandler Handler[GetUserRecord, UserRecord]

// getUserRecordHandler is GetUserRecordHandler built by its constructor.
type getUserRecordHandler struct{ users UserSearcher }

// NewGetUserRecordHandler returns the handler.
func NewGetUserRecordHandler(users UserSearcher) (GetUserRecordHandler, error) {
	if users == nil {
		return nil, fmt.Errorf("NewGetUserRecordHandler: nil searcher")
	}
	return getUserRecordHandler{users: users}, nil
}

// Handle returns the user or user.ErrNotFound (also for a deleted user or
// one of another tenant).
func (h getUserRecordHandler) Handle(ctx context.Context, q GetUserRecord) (UserRecord, error) {
	res, err := h.users.SearchUsers(ctx, SearchUsers{TenantID: q.TenantID,
		Filter: Compare{Attr: AttrID, Op: OpEq, Value: q.UserID.String()}, Limit: 1})
	if err != nil {
		return UserRecord{}, err
	}
	if len(res.Users) == 0 {
		return UserRecord{}, user.ErrNotFound
	}
	return res.Users[0], nil
}
