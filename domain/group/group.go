// Package group is the group aggregate: a named set of users of one tenant,
// as identity providers push them (SCIM /Groups). Like the user, it is
// decide/apply: command methods return the events they decide, Apply folds
// an event into the state, and a command that changes nothing decides none.
package group

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/userservice/userservice/domain/user"
)

// Limits, in characters and members: they bound every event's size.
const (
	MaxDisplayNameLen = 256
	MaxExternalIDLen  = 128
	// MaxMembersPerChange bounds the members one command (and so one
	// event) adds or removes; Entra sends batches far smaller.
	MaxMembersPerChange = 1000
	// MaxMembers bounds a group's size, so its state stays small.
	MaxMembers = 50000
)

// Event types, versioned as the user's are.
const (
	TypeCreated        = "group.created.v1"
	TypeChanged        = "group.changed.v1"
	TypeMembersAdded   = "group.members_added.v1"
	TypeMembersRemoved = "group.members_removed.v1"
	TypeDeleted        = "group.deleted.v1"
)

// Field names, as in events and errors.
const (
	FieldDisplayName = "display_name"
	FieldExternalID  = "external_id"
	FieldMembers     = "members"
)

// Errors beside the behaviour that returns them.
var (
	ErrNotFound         = newError(kindNotFound, "not_found", "group not found")
	ErrDisplayNameTaken = newError(kindConflict, "display_name_taken", "group display name already taken in this tenant")
	ErrExternalIDTaken  = newError(kindConflict, "external_id_taken", "group external id already taken in this tenant")
	ErrMemberNotFound   = newError(kindRejected, "member_not_found", "member is not a user of this tenant")
)

const errTooManyMembers = "too_many"

// Created is the first event of a group's stream.
type Created struct {
	TenantID    string   `json:"tenant_id"`
	DisplayName string   `json:"display_name"`
	ExternalID  string   `json:"external_id,omitempty"`
	Members     []string `json:"members,omitempty"`
}

// Changed carries the changed fields (display_name, external_id), each with
// its old and new value.
type Changed struct {
	Changes map[string]user.Change `json:"changes"`
}

// MembersAdded lists users who became members.
type MembersAdded struct {
	Members []string `json:"members"`
}

// MembersRemoved lists users who stopped being members; Reason is
// "user_deleted" when the user was deleted, else absent.
type MembersRemoved struct {
	Members []string `json:"members"`
	Reason  string   `json:"reason,omitempty"`
}

// Deleted records that the group was removed; its history stays.
type Deleted struct{}

// ReasonUserDeleted is the reason of a removal caused by a user's deletion.
const ReasonUserDeleted = "user_deleted"

// EventType implements user.Event (the store's event interface).
func (Created) EventType() string { return TypeCreated }

// EventType implements user.Event.
func (Changed) EventType() string { return TypeChanged }

// EventType implements user.Event.
func (MembersAdded) EventType() string { return TypeMembersAdded }

// EventType implements user.Event.
func (MembersRemoved) EventType() string { return TypeMembersRemoved }

// EventType implements user.Event.
func (Deleted) EventType() string { return TypeDeleted }

// DecodeEvent turns a stored group event back into its value.
func DecodeEvent(eventType string, data []byte) (user.Event, error) {
	var e user.Event
	var err error
	switch eventType {
	case TypeCreated:
		var v Created
		err = json.Unmarshal(data, &v)
		e = v
	case TypeChanged:
		var v Changed
		err = json.Unmarshal(data, &v)
		e = v
	case TypeMembersAdded:
		var v MembersAdded
		err = json.Unmarshal(data, &v)
		e = v
	case TypeMembersRemoved:
		var v MembersRemoved
		err = json.Unmarshal(data, &v)
		e = v
	case TypeDeleted:
		e = Deleted{}
	default:
		return nil, fmt.Errorf("%w: %q", user.ErrUnknownEventType, eventType)
	}
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", eventType, err)
	}
	return e, nil
}

// Group is the aggregate; its state changes only through Apply.
type Group struct {
	id          user.ID
	tenantID    string
	displayName string
	externalID  string
	members     []string // user ids, canonical, in the order they joined
	deleted     bool
	version     int
}

// Snapshot is a read-only copy of a group's state.
type Snapshot struct {
	ID          user.ID
	TenantID    string
	DisplayName string
	ExternalID  string
	Members     []string
	Version     int
}

// FromHistory folds a group's stream; ErrNotFound for an empty one.
func FromHistory(id user.ID, events []user.Event) (*Group, error) {
	if len(events) == 0 {
		return nil, ErrNotFound
	}
	if _, ok := events[0].(Created); !ok {
		return nil, fmt.Errorf("group stream %s starts with %s, not %s", id, events[0].EventType(), TypeCreated)
	}
	g := &Group{id: id}
	for _, e := range events {
		g.Apply(e)
	}
	return g, nil
}

// Apply folds one event into the state and bumps the version.
func (g *Group) Apply(e user.Event) {
	switch e := e.(type) {
	case Created:
		g.tenantID, g.displayName, g.externalID = e.TenantID, e.DisplayName, e.ExternalID
		g.members = slices.Clone(e.Members)
	case Changed:
		if c, ok := e.Changes[FieldDisplayName]; ok {
			g.displayName = c.New
		}
		if c, ok := e.Changes[FieldExternalID]; ok {
			g.externalID = c.New
		}
	case MembersAdded:
		for _, m := range e.Members {
			if !slices.Contains(g.members, m) {
				g.members = append(g.members, m)
			}
		}
	case MembersRemoved:
		g.members = slices.DeleteFunc(g.members, func(m string) bool { return slices.Contains(e.Members, m) })
	case Deleted:
		g.deleted = true
	}
	g.version++
}

// Version is the number of events in the stream.
func (g *Group) Version() int { return g.version }

// Deleted reports whether the group was deleted.
func (g *Group) Deleted() bool { return g.deleted }

// Snapshot returns a copy of the state.
func (g *Group) Snapshot() Snapshot {
	return Snapshot{ID: g.id, TenantID: g.tenantID, DisplayName: g.displayName, ExternalID: g.externalID,
		Members: slices.Clone(g.members), Version: g.version}
}

// HasMember reports whether the user is a member.
func (g *Group) HasMember(id string) bool { return slices.Contains(g.members, canonical(id)) }

// Create decides a new group. Members must be users of the tenant: the
// store checks that (ErrMemberNotFound).
func Create(tenantID, displayName, externalID string, members []string) ([]user.Event, error) {
	var v validation
	validateText(&v, FieldDisplayName, displayName, true, MaxDisplayNameLen)
	validateText(&v, FieldExternalID, externalID, false, MaxExternalIDLen)
	ms := v.members(members)
	if len(ms) > MaxMembers {
		v.add(FieldMembers, errTooManyMembers, fmt.Sprintf("at most %d members", MaxMembers))
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	return []user.Event{Created{TenantID: tenantID, DisplayName: displayName, ExternalID: externalID, Members: ms}}, nil
}

// Patch is a change of a group: nil fields stay; Members replaces the whole
// list; Add and Remove change it (applied after Members, Remove last).
type Patch struct {
	DisplayName *string
	ExternalID  *string
	Members     *[]string
	Add         []string
	Remove      []string
}

// Update decides the events that bring the group to the patched state:
// at most one Changed, one MembersAdded and one MembersRemoved.
func (g *Group) Update(p Patch) ([]user.Event, error) {
	if g.deleted {
		return nil, ErrNotFound
	}
	name, ext := g.displayName, g.externalID
	if p.DisplayName != nil {
		name = *p.DisplayName
	}
	if p.ExternalID != nil {
		ext = *p.ExternalID
	}
	var v validation
	validateText(&v, FieldDisplayName, name, true, MaxDisplayNameLen)
	validateText(&v, FieldExternalID, ext, false, MaxExternalIDLen)
	added, removed := g.memberChanges(&v, p)
	if err := v.err(); err != nil {
		return nil, err
	}
	var events []user.Event
	changes := map[string]user.Change{}
	if name != g.displayName {
		changes[FieldDisplayName] = user.Change{Old: g.displayName, New: name}
	}
	if ext != g.externalID {
		changes[FieldExternalID] = user.Change{Old: g.externalID, New: ext}
	}
	if len(changes) > 0 {
		events = append(events, Changed{Changes: changes})
	}
	if len(added) > 0 {
		events = append(events, MembersAdded{Members: added})
	}
	if len(removed) > 0 {
		events = append(events, MembersRemoved{Members: removed})
	}
	return events, nil
}

// memberChanges are the members the patch adds and removes (replace, then
// add, then remove), within the limits; a broken one is noted in v.
func (g *Group) memberChanges(v *validation, p Patch) (added, removed []string) {
	next := slices.Clone(g.members)
	if p.Members != nil {
		next = v.members(*p.Members)
	}
	for _, m := range v.members(p.Add) {
		if !slices.Contains(next, m) {
			next = append(next, m)
		}
	}
	remove := v.members(p.Remove)
	next = slices.DeleteFunc(next, func(m string) bool { return slices.Contains(remove, m) })
	if len(next) > MaxMembers {
		v.add(FieldMembers, errTooManyMembers, fmt.Sprintf("at most %d members", MaxMembers))
	}
	added = slices.DeleteFunc(slices.Clone(next), func(m string) bool { return slices.Contains(g.members, m) })
	removed = slices.DeleteFunc(slices.Clone(g.members), func(m string) bool { return slices.Contains(next, m) })
	if len(added) > MaxMembersPerChange || len(removed) > MaxMembersPerChange {
		v.add(FieldMembers, errTooManyMembers, fmt.Sprintf("at most %d members added or removed at once", MaxMembersPerChange))
	}
	return added, removed
}

// RemoveDeletedUser decides the removal of a deleted user; none when they
// are not a member.
func (g *Group) RemoveDeletedUser(id string) []user.Event {
	if g.deleted || !g.HasMember(id) {
		return nil
	}
	return []user.Event{MembersRemoved{Members: []string{canonical(id)}, Reason: ReasonUserDeleted}}
}

// Delete decides the group's deletion.
func (g *Group) Delete() ([]user.Event, error) {
	if g.deleted {
		return nil, ErrNotFound
	}
	return []user.Event{Deleted{}}, nil
}

// Added returns the members an event list adds (for the store's check
// that they are users of the tenant).
func Added(events []user.Event) []string {
	var out []string
	for _, e := range events {
		switch e := e.(type) {
		case Created:
			out = append(out, e.Members...)
		case MembersAdded:
			out = append(out, e.Members...)
		}
	}
	return out
}

func canonical(s string) string {
	if id, err := user.ParseID(s); err == nil {
		return id.String()
	}
	return s
}

type validation struct{ fields []user.FieldError }

func (v *validation) add(field, code, reason string) {
	v.fields = append(v.fields, user.FieldError{Field: field, Code: code, Reason: reason})
}

func (v *validation) err() error {
	if len(v.fields) == 0 {
		return nil
	}
	return &user.ValidationError{Fields: v.fields}
}

// members canonicalises user ids, drops repeats, and records ids that are
// no UUID.
func (v *validation) members(in []string) []string {
	out := make([]string, 0, len(in))
	for i, m := range in {
		id, err := user.ParseID(strings.TrimSpace(m))
		if err != nil {
			v.add(fmt.Sprintf("%s[%d]", FieldMembers, i), "invalid_format", "must be a user id (UUID)")
			continue
		}
		if s := id.String(); !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func validateText(v *validation, field, value string, required bool, maxLen int) {
	switch {
	case value == "" && required:
		v.add(field, "required", "is required")
	case !utf8.ValidString(value):
		v.add(field, "invalid_encoding", "must be valid UTF-8")
	case utf8.RuneCountInString(value) > maxLen:
		v.add(field, "too_long", fmt.Sprintf("must be at most %d characters", maxLen))
	case strings.IndexFunc(value, unicode.IsControl) >= 0:
		v.add(field, "invalid_characters", "must not contain control characters")
	case value != strings.TrimSpace(value):
		v.add(field, "invalid_format", "must not start or end with white space")
	}
}
