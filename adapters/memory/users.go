package memory

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"time"

	"github.com/userservice/userservice/app/query"
	"github.com/userservice/userservice/domain/user"
)

// Users implements query.UserReader and query.EventReader on a Store.
type Users struct{ s *Store }

var (
	_ query.UserReader  = (*Users)(nil)
	_ query.EventReader = (*Users)(nil)
)

// NewUsers returns the users read model and event store of s.
func NewUsers(s *Store) *Users { return &Users{s: s} }

// GetUser implements query.UserReader: a deleted user, or one of another
// tenant, is user.ErrNotFound.
func (r *Users) GetUser(ctx context.Context, tenantID string, id user.ID) (user.Snapshot, error) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	st := r.s.streams[id]
	if st == nil || st.tenantID != tenantID || st.snap.Status == user.StatusDeleted {
		return user.Snapshot{}, user.ErrNotFound
	}
	return st.snap, nil
}

// ListUsers implements query.UserReader: keyset pages by id, the cursor
// being the last id of the page (base64url), as in PostgreSQL.
func (r *Users) ListUsers(ctx context.Context, q query.ListUsers) (query.UserPage, error) {
	var after *user.ID
	if q.After != "" {
		b, err := base64.RawURLEncoding.DecodeString(q.After)
		if err != nil || len(b) != len(user.ID{}) {
			return query.UserPage{}, fmt.Errorf("%w: cursor %q was not issued by this service", query.ErrInvalidQuery, q.After)
		}
		after = (*user.ID)(b)
	}
	r.s.mu.Lock()
	var users []user.Snapshot
	for id, st := range r.s.streams {
		if st.tenantID == q.TenantID && (after == nil || bytes.Compare(id[:], after[:]) > 0) && listed(q, st.snap) {
			users = append(users, st.snap)
		}
	}
	r.s.mu.Unlock()
	slices.SortFunc(users, func(a, b user.Snapshot) int { return bytes.Compare(a.ID[:], b.ID[:]) })
	page := query.UserPage{Users: users}
	if len(users) > q.Limit {
		page.Users = users[:q.Limit]
		last := page.Users[q.Limit-1].ID
		page.NextCursor = base64.RawURLEncoding.EncodeToString(last[:])
	}
	return page, nil
}

// listed reports whether u passes the list's filters (a deleted user never does).
func listed(q query.ListUsers, u user.Snapshot) bool {
	matches := func(filter, value string) bool { return filter == "" || filter == value }
	return u.Status != user.StatusDeleted && matches(string(q.Status), string(u.Status)) && matches(q.Email, u.Email) &&
		matches(q.ExternalID, u.ExternalID) && matches(q.Department, u.Department)
}

// StreamEvents implements query.EventReader: a stream of another tenant is
// user.ErrNotFound.
func (r *Users) StreamEvents(ctx context.Context, tenantID string, id user.ID) ([]query.RecordedEvent, error) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	st := r.s.streams[id]
	if st == nil || st.tenantID != tenantID {
		return nil, user.ErrNotFound
	}
	out := make([]query.RecordedEvent, len(st.events))
	for i, e := range st.events {
		m := e.meta
		out[i] = query.RecordedEvent{ID: m.id, Type: e.event.EventType(), StreamID: id, TenantID: tenantID, Version: m.version,
			OccurredAt: time.UnixMicro(m.at).UTC(), Data: m.data, CommandID: m.commandID, CorrelationID: m.correlationID,
			Actor: m.actor, Source: m.source}
	}
	return out, nil
}
