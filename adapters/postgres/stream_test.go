package postgres

import (
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/userservice/userservice/adapters/personaldata"

	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/domain/user"
)

// The command path decides on the users read-model row plus the stream's
// events after its version (selectStateSQL), not on the whole history.
func TestCommandsDecideOnTheReadModelRowAndTheEventsAfterIt(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 10)
	id := f.register("state@example.com").User.ID
	for _, dept := range []string{"Ops", "Sales", "Research"} {
		res, err := f.upd.Handle(f.ctx, command.UpdateUser{Envelope: f.env(), UserID: id, Patch: user.Patch{Department: ptr(dept)}})
		if err != nil || !res.Changed {
			t.Fatalf("update to %s: %+v, %v", dept, res, err)
		}
	}
	want, err := NewUsers(f.pool).GetUser(f.ctx, f.tenant, id)
	must(t, err)
	if want.Version != 4 || want.Department != "Research" {
		t.Fatalf("read model %+v, want version 4 in Research", want)
	}

	// The row is current: no event is decoded, and the state is the row's.
	var l loaded
	u, err := f.readState(command.Execution{Envelope: f.env(), StreamID: id}, &l)
	must(t, err)
	if l.row == nil || len(l.events) != 0 {
		t.Fatalf("current row: row %v, %d events decoded; want the row and none", l.row != nil, len(l.events))
	}
	if got := u.Snapshot(); got.Version != 4 || got.Department != "Research" || got.Email != "state@example.com" {
		t.Fatalf("state from the row: %+v", got)
	}
	// The very aggregate the whole history rebuilds (every field, unexported
	// ones included: a field the snapshot does not carry would show here).
	all := loaded{}
	folded, err := f.readState(command.Execution{Envelope: f.env(), StreamID: id}, &all)
	must(t, err)
	history := loaded{}
	b := &pgx.Batch{}
	b.Queue(`SELECT type, data FROM events WHERE stream_id = $1 ORDER BY version`, id).Query(func(rows pgx.Rows) error {
		var (
			typ  string
			data []byte
		)
		_, err := pgx.ForEachRow(rows, []any{&typ, &data}, func() error {
			e, err := user.DecodeEvent(typ, data)
			history.events = append(history.events, e)
			return err
		})
		return err
	})
	must(t, f.pool.SendBatch(f.ctx, b).Close())
	rebuilt, err := user.FromHistory(id, history.events)
	must(t, err)
	if !reflect.DeepEqual(rebuilt, folded) {
		t.Fatalf("state from the row %+v differs from the history's %+v", folded, rebuilt)
	}

	// No row (a read model being rebuilt, or a row removed): the whole
	// stream is decoded, and the decision is the same.
	_, err = f.pool.Exec(f.ctx, `DELETE FROM users WHERE id = $1`, id)
	must(t, err)
	l = loaded{}
	u, err = f.readState(command.Execution{Envelope: f.env(), StreamID: id}, &l)
	must(t, err)
	if l.row != nil || len(l.events) != 4 {
		t.Fatalf("no row: row %v, %d events decoded; want none and 4", l.row != nil, len(l.events))
	}
	if got := u.Snapshot(); got.Version != 4 || got.Department != "Research" {
		t.Fatalf("state from the stream: %+v", got)
	}
	res, err := f.upd.Handle(f.ctx, command.UpdateUser{Envelope: f.env(), UserID: id, Patch: user.Patch{Department: ptr("Research")}})
	if err != nil || res.Changed || res.User.Version != 4 {
		t.Fatalf("no-op without a row: %+v, %v; want unchanged at version 4", res, err)
	}

	// A row one event behind (as a read model catching up would be): the
	// event after it is applied to it.
	behind := want
	behind.Version, behind.Department = 3, "Sales"
	params := make([]string, len(userRowColumns))
	for i := range params {
		params[i] = "$" + strconv.Itoa(i+1)
	}
	_, err = f.pool.Exec(f.ctx, `INSERT INTO users (`+strings.Join(userRowColumns, ", ")+`) VALUES (`+strings.Join(params, ", ")+`)`,
		userRow{Snapshot: behind, CreatedAt: time.Now(), UpdatedAt: time.Now()}.values()...)
	must(t, err)
	l = loaded{}
	u, err = f.readState(command.Execution{Envelope: f.env(), StreamID: id}, &l)
	must(t, err)
	if l.row == nil || l.row.Version != 3 || len(l.events) != 1 {
		t.Fatalf("row behind: row %+v, %d events; want the row at 3 and 1 event", l.row, len(l.events))
	}
	if got := u.Snapshot(); got.Version != 4 || got.Department != "Research" {
		t.Fatalf("state from the row and the tail: %+v", got)
	}

	// Another tenant's id reads as nothing at all.
	other := newFixture(t, 1)
	l = loaded{}
	u, err = other.readState(command.Execution{Envelope: other.env(), StreamID: id}, &l)
	must(t, err)
	if u != nil || l.row != nil || len(l.events) != 0 {
		t.Fatalf("another tenant's user: %v, row %v, %d events", u, l.row, len(l.events))
	}
}

// readState makes the command path's read for ex and returns the state.
func (f *fixture) readState(ex command.Execution, l *loaded) (*user.User, error) {
	b := &pgx.Batch{}
	queueLoad(b, f.uow.upcasters, f.uow.personal, ex, l)
	if err := f.pool.SendBatch(f.ctx, b).Close(); err != nil {
		return nil, err
	}
	return l.state(ex.StreamID)
}

// A process without master keys must not decide on a sealed user from the
// read model's clear row: what it appended would be in clear.
func TestSealedUserIsRefusedWithoutKeysThoughTheRowIsCurrent(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 10)
	sealing, err := NewUnitOfWork(f.pool, nil)
	must(t, err)
	sealing.EncryptPersonalData(testKeys(t))
	reg, err := command.NewRegisterUserHandler(sealing, func() (user.ID, error) { id, err := uuid.NewV7(); return user.ID(id), err })
	must(t, err)
	res, err := reg.Handle(f.ctx, command.RegisterUser{Envelope: f.env(), Registration: user.Registration{
		Email: "sealed.row@example.com", Profile: user.Profile{GivenName: "Ada", FamilyName: "Lovelace"}}})
	must(t, err)
	before := f.counts()
	for _, patch := range []user.Patch{{Department: ptr("Ops")}, {GivenName: ptr("Ada")}} {
		_, err = f.upd.Handle(f.ctx, command.UpdateUser{Envelope: f.env(), UserID: res.User.ID, Patch: patch})
		if !errors.Is(err, personaldata.ErrNoKeys) {
			t.Fatalf("update of a sealed user without keys: %v, want ErrNoKeys", err)
		}
	}
	if after := f.counts(); after != before {
		t.Fatalf("refused commands wrote: %+v -> %+v", before, after)
	}
}
