package postgres

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/userservice/userservice/adapters/postgres/pgtest"
	"github.com/userservice/userservice/adapters/projection"
	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/domain/user"
)

// churn runs writers goroutines, each issuing ops commands through the
// command handlers at random: registrations (some reporting to an existing
// user, some registered deactivated), profile, manager and e-mail changes,
// deactivations, reactivations and deletions. It stops early when stop is closed, and
// counts the commands that changed something in done. Business rejections
// (a manager cycle, say) and conflicts left after the unit of work's retries
// are part of the game; anything else fails the test.
func (f *fixture) churn(writers, ops int, seed uint64, stop <-chan struct{}, done *atomic.Int64) {
	f.t.Helper()
	var (
		mu  sync.Mutex
		ids []user.ID
		wg  sync.WaitGroup
	)
	pick := func(r *rand.Rand) (user.ID, bool) {
		mu.Lock()
		defer mu.Unlock()
		if len(ids) == 0 {
			return user.ID{}, false
		}
		return ids[r.IntN(len(ids))], true
	}
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(seed, uint64(w)))
			for i := 0; i < ops; i++ {
				select {
				case <-stop:
					return
				default:
				}
				res, err := f.churnOne(r, pick)
				if err == nil && res.Changed && res.User.Version == 1 {
					mu.Lock()
					ids = append(ids, res.User.ID)
					mu.Unlock()
				}
				switch {
				case err == nil && res.Changed && done != nil:
					done.Add(1)
				case err != nil && !command.IsRejection(err) && !errors.Is(err, user.ErrVersionConflict):
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		f.t.Errorf("churn: %v", err)
	}
}

func (f *fixture) churnOne(r *rand.Rand, pick func(*rand.Rand) (user.ID, bool)) (command.Result, error) {
	target, ok := pick(r)
	op := r.IntN(100)
	if !ok || op < 30 {
		reg := user.Registration{Email: uuid.NewString() + "@example.com",
			Profile: user.Profile{GivenName: "G" + fmt.Sprint(r.IntN(1000)), FamilyName: "F", Department: "D" + fmt.Sprint(r.IntN(5))}}
		if m, ok := pick(r); ok && r.IntN(2) == 0 {
			reg.Profile.ManagerID = m.String()
		}
		if r.IntN(10) == 0 {
			reg.Status = user.StatusDeactivated
		}
		return f.reg.Handle(f.ctx, command.RegisterUser{Envelope: f.env(), Registration: reg})
	}
	var p user.Patch
	switch {
	case op < 50:
		p.Title, p.Department = ptr("T"+fmt.Sprint(r.IntN(50))), ptr("D"+fmt.Sprint(r.IntN(5)))
	case op < 60:
		if m, ok := pick(r); ok {
			p.ManagerID = ptr(m.String())
		}
	case op < 72:
		p.Email = ptr(uuid.NewString() + "@example.org")
	case op < 83:
		return f.deact.Handle(f.ctx, command.DeactivateUser{Envelope: f.env(), UserID: target, Reason: "churn"})
	case op < 88:
		return f.del.Handle(f.ctx, command.DeleteUser{Envelope: f.env(), UserID: target, Reason: "churn"})
	default:
		return f.react.Handle(f.ctx, command.ReactivateUser{Envelope: f.env(), UserID: target})
	}
	return f.upd.Handle(f.ctx, command.UpdateUser{Envelope: f.env(), UserID: target, Patch: p})
}

// liveRows is the tenant's users read model, every column, by id.
func (f *fixture) liveRows() []userRow {
	f.t.Helper()
	rows, err := f.pool.Query(f.ctx, `SELECT `+userRowSelect+` FROM users WHERE tenant_id = $1 ORDER BY id`, f.tenant)
	must(f.t, err)
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (userRow, error) { return scanUserRow(row) })
	must(f.t, err)
	return out
}

// foldedRows is what the tenant's read model must be, derived from its
// events without the read model's code: every stream folded by the domain,
// stamped with its first and last event's time.
func (f *fixture) foldedRows() []userRow {
	f.t.Helper()
	rows, err := f.pool.Query(f.ctx, `SELECT stream_id, type, data, occurred_at FROM events
		WHERE tenant_id = $1 ORDER BY stream_id, version`, f.tenant)
	must(f.t, err)
	type stored struct {
		stream [16]byte
		typ    string
		data   []byte
		at     time.Time
	}
	events, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (stored, error) {
		var s stored
		return s, row.Scan(&s.stream, &s.typ, &s.data, &s.at)
	})
	must(f.t, err)
	var out []userRow
	for i := 0; i < len(events); {
		j := i
		var history []user.Event
		for ; j < len(events) && events[j].stream == events[i].stream; j++ {
			typ, data, err := user.EventUpcasters().Upcast(events[j].typ, events[j].data)
			must(f.t, err)
			e, err := user.DecodeEvent(typ, data)
			must(f.t, err)
			history = append(history, e)
		}
		u, err := user.FromHistory(events[i].stream, history)
		must(f.t, err)
		out = append(out, userRow{Snapshot: u.Snapshot(), CreatedAt: events[i].at.UTC(), UpdatedAt: events[j-1].at.UTC()})
		i = j
	}
	return out
}

// sameRows fails the test unless got and want hold the same rows, column
// for column, naming the first few that differ.
func sameRows(t *testing.T, what string, got, want []userRow) {
	t.Helper()
	index := func(rows []userRow) map[user.ID][]string {
		m := make(map[user.ID][]string, len(rows))
		for _, r := range rows {
			m[r.ID] = r.texts()
		}
		return m
	}
	g, w := index(got), index(want)
	var problems []string
	for id, wr := range w {
		if gr, ok := g[id]; !ok {
			problems = append(problems, fmt.Sprintf("%s missing", id))
		} else if !slices.Equal(gr, wr) {
			problems = append(problems, fmt.Sprintf("%s: got %v, want %v", id, gr, wr))
		}
	}
	for id := range g {
		if _, ok := w[id]; !ok {
			problems = append(problems, fmt.Sprintf("%s unexpected", id))
		}
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		t.Fatalf("%s: %d of %d rows differ:\n%s", what, len(problems), len(want), strings.Join(problems[:min(len(problems), 5)], "\n"))
	}
}

// rebuild runs a rebuild of the users read model on a pool of its own. A
// rebuild that fails leaves its state to resume from; the test's is removed
// when the test ends, so failed runs do not pile up in the shared database.
func (f *fixture) rebuild(ctx context.Context, cfg projection.RebuildConfig) (projection.RebuildResult, error) {
	f.t.Helper()
	if cfg.TenantID == "" {
		cfg.TenantID = f.tenant
	}
	f.t.Cleanup(func() {
		ctx := context.Background()
		_, _ = f.pool.Exec(ctx, `DELETE FROM projection_rebuilds WHERE scope = $1`, cfg.TenantID)
		_, _ = f.pool.Exec(ctx, `DELETE FROM users_shadow WHERE scope = $1`, cfg.TenantID)
	})
	r, err := projection.NewRebuilder(pgtest.Pool(f.t), NewUsersRebuild(), cfg)
	must(f.t, err)
	return r.Run(ctx)
}

func (f *fixture) destroyUsers() {
	f.t.Helper()
	_, err := f.pool.Exec(f.ctx, `DELETE FROM users WHERE tenant_id = $1`, f.tenant)
	must(f.t, err)
}
