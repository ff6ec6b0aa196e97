package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/userservice/userservice/app/query"
	"github.com/userservice/userservice/domain/group"
	"github.com/userservice/userservice/domain/user"
)

// Groups reads the groups read model.
type Groups struct{ pool *pgxpool.Pool }

// NewGroups returns the reader on pool.
func NewGroups(pool *pgxpool.Pool) *Groups { return &Groups{pool: pool} }

const groupColumns = `id, tenant_id::text, display_name, coalesce(external_id, ''), version, created_at, updated_at`

func scanGroup(row pgx.Row) (query.GroupRecord, error) {
	var (
		g  query.GroupRecord
		id [16]byte
	)
	err := row.Scan(&id, &g.TenantID, &g.DisplayName, &g.ExternalID, &g.Version, &g.Created, &g.LastModified)
	g.ID = id
	g.Created, g.LastModified = g.Created.UTC(), g.LastModified.UTC()
	return g, err
}

// GetGroup implements query.GroupReader.
func (r *Groups) GetGroup(ctx context.Context, tenantID string, id user.ID) (query.GroupRecord, error) {
	g, err := scanGroup(r.pool.QueryRow(ctx, `SELECT `+groupColumns+` FROM groups WHERE tenant_id = $1 AND id = $2 AND NOT deleted`, tenantID, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return g, group.ErrNotFound
	}
	if err != nil {
		return g, fmt.Errorf("read group %s: %w", id, err)
	}
	members, err := r.members(ctx, tenantID, []user.ID{id})
	g.Members = members[id]
	return g, err
}

// ListGroups implements query.GroupReader.
func (r *Groups) ListGroups(ctx context.Context, q query.ListGroups) (query.GroupPage, error) {
	where, args := []string{"tenant_id = $1", "NOT deleted"}, []any{q.TenantID}
	if q.DisplayName != nil {
		args = append(args, *q.DisplayName)
		where = append(where, "lower(display_name) = lower($"+strconv.Itoa(len(args))+")")
	}
	if q.ExternalID != nil {
		args = append(args, *q.ExternalID)
		where = append(where, "external_id = $"+strconv.Itoa(len(args)))
	}
	cond := strings.Join(where, " AND ")
	var page query.GroupPage
	if err := r.pool.QueryRow(ctx, `SELECT count(*) FROM groups WHERE `+cond, args...).Scan(&page.Total); err != nil {
		return page, fmt.Errorf("count groups: %w", err)
	}
	args = append(args, q.Offset, q.Limit)
	rows, err := r.pool.Query(ctx, `SELECT `+groupColumns+` FROM groups WHERE `+cond+` ORDER BY created_at, id OFFSET $`+
		strconv.Itoa(len(args)-1)+` LIMIT $`+strconv.Itoa(len(args)), args...)
	if err != nil {
		return page, fmt.Errorf("list groups: %w", err)
	}
	page.Groups, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (query.GroupRecord, error) { return scanGroup(row) })
	if err != nil || q.WithoutMembers || len(page.Groups) == 0 {
		return page, err
	}
	ids := make([]user.ID, len(page.Groups))
	for i, g := range page.Groups {
		ids[i] = g.ID
	}
	members, err := r.members(ctx, q.TenantID, ids)
	for i := range page.Groups {
		page.Groups[i].Members = members[page.Groups[i].ID]
	}
	return page, err
}

// members reads the members of groups that are users not deleted.
func (r *Groups) members(ctx context.Context, tenantID string, ids []user.ID) (map[user.ID][]query.GroupMember, error) {
	rows, err := r.pool.Query(ctx, `SELECT m.group_id, m.user_id,
		CASE WHEN u.display_name <> '' THEN u.display_name WHEN u.username <> '' THEN u.username ELSE u.email END
		FROM group_members m JOIN users u ON u.id = m.user_id AND u.tenant_id = m.tenant_id AND u.status <> 'deleted'
		WHERE m.tenant_id = $1 AND m.group_id = ANY($2) ORDER BY m.group_id, u.id`, tenantID, ids)
	if err != nil {
		return nil, fmt.Errorf("read members: %w", err)
	}
	out := map[user.ID][]query.GroupMember{}
	var gid, uid [16]byte
	var display string
	_, err = pgx.ForEachRow(rows, []any{&gid, &uid, &display}, func() error {
		out[gid] = append(out[gid], query.GroupMember{ID: uid, Display: display})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read members: %w", err)
	}
	return out, nil
}

// GroupsOfUser implements query.GroupReader.
func (r *Groups) GroupsOfUser(ctx context.Context, tenantID string, userID user.ID) ([]query.GroupRef, error) {
	m, err := r.GroupsOfUsers(ctx, tenantID, []user.ID{userID})
	return m[userID], err
}

// GroupsOfUsers implements query.GroupReader: the groups of several users
// in one query (a page of a SCIM list).
func (r *Groups) GroupsOfUsers(ctx context.Context, tenantID string, userIDs []user.ID) (map[user.ID][]query.GroupRef, error) {
	rows, err := r.pool.Query(ctx, `SELECT m.user_id, g.id, g.display_name FROM group_members m JOIN groups g ON g.id = m.group_id
		WHERE m.tenant_id = $1 AND m.user_id = ANY($2) AND NOT g.deleted ORDER BY m.user_id, g.created_at, g.id`, tenantID, userIDs)
	if err != nil {
		return nil, fmt.Errorf("groups of users: %w", err)
	}
	out := map[user.ID][]query.GroupRef{}
	var uid, gid [16]byte
	var name string
	_, err = pgx.ForEachRow(rows, []any{&uid, &gid, &name}, func() error {
		out[uid] = append(out[uid], query.GroupRef{ID: gid, DisplayName: name})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("groups of users: %w", err)
	}
	return out, nil
}

// GroupIDsOfMember implements command.MemberGroups.
func (r *Groups) GroupIDsOfMember(ctx context.Context, tenantID string, userID user.ID) ([]user.ID, error) {
	refs, err := r.GroupsOfUser(ctx, tenantID, userID)
	ids := make([]user.ID, len(refs))
	for i, ref := range refs {
		ids[i] = ref.ID
	}
	return ids, err
}
