package service

import (
	"context"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/userservice/userservice/adapters/postgres"
	"github.com/userservice/userservice/app/query"
	"github.com/userservice/userservice/domain/user"
)

// ReadReplica is where list and search reads may go instead of the
// primary: a streaming replica's pool, used while Fresh says its staleness
// is within the bound (DATABASE_READ_MAX_LAG).
type ReadReplica struct {
	Pool  *pgxpool.Pool
	Fresh func() bool
}

// Only the lists move: a single-user read stays on the primary, because a
// client reads back the user it just wrote (read-your-writes), and every
// command reads inside its own transaction on the primary (the unit of work
// never sees these readers). A list is a scan whose freshness the caller
// cannot name anyway (another admin's write may land a millisecond later),
// so a bounded staleness costs nothing it relied on.

// routedUsers sends ListUsers and SearchUsers to the replica while it is
// fresh, GetUser always to the primary.
type routedUsers struct {
	primary, replica *postgres.Users
	fresh            func() bool
}

func (r routedUsers) pick() *postgres.Users {
	if r.fresh() {
		return r.replica
	}
	return r.primary
}

func (r routedUsers) GetUser(ctx context.Context, tenantID string, id user.ID) (user.Snapshot, error) {
	return r.primary.GetUser(ctx, tenantID, id)
}

func (r routedUsers) ListUsers(ctx context.Context, q query.ListUsers) (query.UserPage, error) {
	return r.pick().ListUsers(ctx, q)
}

func (r routedUsers) SearchUsers(ctx context.Context, q query.SearchUsers) (query.SearchResult, error) {
	return r.pick().SearchUsers(ctx, q)
}

// routedGroups sends the group lists (and the groups of a listed page of
// users) to the replica while it is fresh; one group or one user's groups
// stay on the primary.
type routedGroups struct {
	primary, replica *postgres.Groups
	fresh            func() bool
}

func (r routedGroups) pick() *postgres.Groups {
	if r.fresh() {
		return r.replica
	}
	return r.primary
}

func (r routedGroups) GetGroup(ctx context.Context, tenantID string, id user.ID) (query.GroupRecord, error) {
	return r.primary.GetGroup(ctx, tenantID, id)
}

func (r routedGroups) ListGroups(ctx context.Context, q query.ListGroups) (query.GroupPage, error) {
	return r.pick().ListGroups(ctx, q)
}

func (r routedGroups) GroupsOfUser(ctx context.Context, tenantID string, userID user.ID) ([]query.GroupRef, error) {
	return r.primary.GroupsOfUser(ctx, tenantID, userID)
}

func (r routedGroups) GroupsOfUsers(ctx context.Context, tenantID string, userIDs []user.ID) (map[user.ID][]query.GroupRef, error) {
	return r.pick().GroupsOfUsers(ctx, tenantID, userIDs)
}

// listReaders are the readers of the list queries: the primary's, or routed
// between the primary and o.Reads.
func listReaders(users *postgres.Users, groups *postgres.Groups, o Options) (interface {
	query.UserReader
	query.UserSearcher
}, query.GroupReader) {
	if o.Reads == nil || o.Reads.Pool == nil || o.Reads.Fresh == nil {
		return users, groups
	}
	return routedUsers{primary: users, replica: postgres.NewUsers(o.Reads.Pool), fresh: o.Reads.Fresh},
		routedGroups{primary: groups, replica: postgres.NewGroups(o.Reads.Pool), fresh: o.Reads.Fresh}
}
