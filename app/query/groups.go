package query

import (
	"context"
	"errors"
	"time"

	"github.com/userservice/userservice/domain/user"
)

// GroupRecord is a group as the read model has it, with its members.
type GroupRecord struct {
	ID           user.ID
	TenantID     string
	DisplayName  string
	ExternalID   string
	Version      int
	Created      time.Time
	LastModified time.Time
	// Members are the member users that are not deleted, in join order.
	Members []GroupMember
}

// GroupMember is one member with the name a client shows.
type GroupMember struct {
	ID      user.ID
	Display string
}

// GroupRef names a group a user is a member of.
type GroupRef struct {
	ID          user.ID
	DisplayName string
}

// ListGroups is a page of a tenant's groups, optionally filtered by an exact
// display name (case-insensitive) or external id (case-sensitive).
type ListGroups struct {
	TenantID    string
	DisplayName *string
	ExternalID  *string
	// Offset and Limit page in creation order.
	Offset, Limit int
	// WithoutMembers skips reading members (SCIM excludedAttributes=members).
	WithoutMembers bool
}

// GroupPage is one page of groups and how many match in all.
type GroupPage struct {
	Groups []GroupRecord
	Total  int
}

// GroupReader reads the groups read model.
type GroupReader interface {
	GetGroup(ctx context.Context, tenantID string, id user.ID) (GroupRecord, error)
	ListGroups(ctx context.Context, q ListGroups) (GroupPage, error)
	GroupsOfUser(ctx context.Context, tenantID string, userID user.ID) ([]GroupRef, error)
	GroupsOfUsers(ctx context.Context, tenantID string, userIDs []user.ID) (map[user.ID][]GroupRef, error)
}

// Groups are the group queries.
type Groups struct{ r GroupReader }

// NewGroups returns the group queries on r.
func NewGroups(r GroupReader) (*Groups, error) {
	if r == nil {
		return nil, errors.New("NewGroups: nil reader")
	}
	return &Groups{r: r}, nil
}

// Get returns one group, or group.ErrNotFound (also for another tenant's).
func (g *Groups) Get(ctx context.Context, tenantID string, id user.ID) (GroupRecord, error) {
	return g.r.GetGroup(ctx, tenantID, id)
}

// List returns a page of groups.
func (g *Groups) List(ctx context.Context, q ListGroups) (GroupPage, error) {
	if q.Limit <= 0 || q.Limit > 1000 {
		q.Limit = 100
	}
	if q.Offset < 0 {
		q.Offset = 0
	}
	return g.r.ListGroups(ctx, q)
}

// OfUser returns the groups a user is a member of.
func (g *Groups) OfUser(ctx context.Context, tenantID string, userID user.ID) ([]GroupRef, error) {
	return g.r.GroupsOfUser(ctx, tenantID, userID)
}

// OfUsers returns the groups of several users.
func (g *Groups) OfUsers(ctx context.Context, tenantID string, userIDs []user.ID) (map[user.ID][]GroupRef, error) {
	return g.r.GroupsOfUsers(ctx, tenantID, userIDs)
}
