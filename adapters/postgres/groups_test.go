package postgres

import (
	"errors"
	"testing"

	"github.com/google/uuid"

	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/domain/group"
	"github.com/userservice/userservice/domain/user"
)

// Group commands write events, the read model and the outbox in one
// transaction; the stored events replay (decode, fold) to the state the
// read model shows; a deleted user leaves their groups with an event each.
func TestGroupsWriteReplayAndUserDeletion(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 10)
	groups := NewGroups(f.pool)
	create, err := command.NewCreateGroupHandler(f.uow)
	must(t, err)
	update, err := command.NewUpdateGroupHandler(f.uow)
	must(t, err)
	remove, err := command.NewRemoveDeletedMemberHandler(f.uow)
	must(t, err)
	members, err := command.NewGroupMembershipRemover(groups, remove)
	must(t, err)
	del, err := command.NewDeleteUserHandler(f.uow, members)
	must(t, err)
	u1, u2 := f.register("g1@example.com").User.ID, f.register("g2@example.com").User.ID
	gid := user.ID(uuid.Must(uuid.NewV7()))
	before := f.counts()
	_, err = create.Handle(f.ctx, command.CreateGroup{Envelope: f.env(), GroupID: gid, DisplayName: "Eng", ExternalID: "G-1",
		Members: []string{u1.String(), u2.String()}})
	must(t, err)
	res, err := update.Handle(f.ctx, command.UpdateGroup{Envelope: f.env(), GroupID: gid, Patch: group.Patch{DisplayName: ptr("Engineering")}})
	must(t, err)
	if !res.Changed || res.Group.Version != 2 {
		t.Fatalf("update: %+v", res)
	}
	if after := f.counts(); after.outbox != before.outbox+2 || after.commands != before.commands+2 {
		t.Fatalf("outbox/commands: %+v -> %+v", before, after)
	}
	// A member of another tenant, or nobody, is refused.
	other := newFixture(t, 10).register("x@example.com").User.ID
	if _, err := update.Handle(f.ctx, command.UpdateGroup{Envelope: f.env(), GroupID: gid, Patch: group.Patch{Add: []string{other.String()}}}); !errors.Is(err, group.ErrMemberNotFound) {
		t.Fatalf("member of another tenant: %v", err)
	}
	// Deleting u1 removes the membership with a group event.
	_, err = del.Handle(f.ctx, command.DeleteUser{Envelope: f.env(), UserID: u1})
	must(t, err)

	// Replay: the stored group events fold to what the read model shows.
	rows, err := f.pool.Query(f.ctx, `SELECT type, data FROM events WHERE stream_id = $1 AND tenant_id = $2 ORDER BY version`, gid, f.tenant)
	must(t, err)
	var events []user.Event
	var types []string
	for rows.Next() {
		var typ string
		var data []byte
		must(t, rows.Scan(&typ, &data))
		e, err := group.DecodeEvent(typ, data)
		must(t, err)
		events, types = append(events, e), append(types, typ)
	}
	must(t, rows.Err())
	g, err := group.FromHistory(gid, events)
	must(t, err)
	read, err := groups.GetGroup(f.ctx, f.tenant, gid)
	must(t, err)
	s := g.Snapshot()
	if len(types) != 3 || types[2] != group.TypeMembersRemoved || s.Version != read.Version || s.DisplayName != read.DisplayName ||
		len(read.Members) != 1 || read.Members[0].ID != u2 || len(s.Members) != 1 || s.Members[0] != u2.String() {
		t.Fatalf("replayed %+v (types %v), read model %+v", s, types, read)
	}
	// Another tenant sees nothing.
	o := newFixture(t, 10)
	if _, err := NewGroups(o.pool).GetGroup(o.ctx, o.tenant, gid); !errors.Is(err, group.ErrNotFound) {
		t.Fatalf("cross-tenant read: %v", err)
	}
}

// A group command's id replays its first outcome (and refuses another
// command); a stale expected version is a conflict; a patch that changes
// nothing writes nothing; a group that is not there is not found.
func TestGroupCommandIdempotencyAndConflicts(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 10)
	create, err := command.NewCreateGroupHandler(f.uow)
	must(t, err)
	update, err := command.NewUpdateGroupHandler(f.uow)
	must(t, err)
	del, err := command.NewDeleteGroupHandler(f.uow)
	must(t, err)
	gid := user.ID(uuid.Must(uuid.NewV7()))
	env := f.env()
	first, err := create.Handle(f.ctx, command.CreateGroup{Envelope: env, GroupID: gid, DisplayName: "Ops"})
	must(t, err)
	again, err := create.Handle(f.ctx, command.CreateGroup{Envelope: env, GroupID: gid, DisplayName: "Ops"})
	if err != nil || !again.Replayed || !again.Changed || again.Group.Version != first.Group.Version || again.Group.ID != gid {
		t.Fatalf("repeated create = %+v, %v", again, err)
	}
	if _, err := create.Handle(f.ctx, command.CreateGroup{Envelope: env, GroupID: gid, DisplayName: "Other"}); !errors.Is(err, command.ErrIdempotencyKeyReused) {
		t.Fatalf("the id reused for another command: %v", err)
	}
	stale := f.env()
	stale.ExpectedVersion = ptr(7)
	if _, err := update.Handle(f.ctx, command.UpdateGroup{Envelope: stale, GroupID: gid, Patch: group.Patch{DisplayName: ptr("X")}}); !errors.Is(err, user.ErrVersionConflict) {
		t.Fatalf("stale expected version: %v", err)
	}
	before := f.counts()
	same, err := update.Handle(f.ctx, command.UpdateGroup{Envelope: f.env(), GroupID: gid, Patch: group.Patch{DisplayName: ptr("Ops")}})
	if err != nil || same.Changed || same.Group.Version != 1 || f.counts() != before {
		t.Fatalf("a no-op update = %+v, %v (counts %+v -> %+v)", same, err, before, f.counts())
	}
	missing := user.ID(uuid.Must(uuid.NewV7()))
	if _, err := del.Handle(f.ctx, command.DeleteGroup{Envelope: f.env(), GroupID: missing}); !errors.Is(err, group.ErrNotFound) {
		t.Fatalf("deleting a group that is not there: %v", err)
	}
}
