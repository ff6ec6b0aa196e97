package postgres

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/domain/user"
)

// A registration whose id the handler makes skips every read: a repeated
// key is caught by the command record's key inside the transaction, and the
// caller still gets the first outcome.
func TestRepeatedKeyOfAFreshRegistrationReplaysTheFirst(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 10)
	cmd := command.RegisterUser{Envelope: f.env(), Registration: user.Registration{Email: "fresh@example.com",
		Profile: user.Profile{GivenName: "Fr", FamilyName: "Esh"}}}
	cmd.ClientKey = true
	first, err := f.reg.Handle(f.ctx, cmd)
	must(t, err)
	before := f.counts()
	again, err := f.reg.Handle(f.ctx, cmd) // no UserID: the handler makes a new one
	must(t, err)
	if !again.Replayed || !reflect.DeepEqual(again.User, first.User) {
		t.Fatalf("replay = %+v, want first outcome %+v", again, first)
	}
	if after := f.counts(); after != before {
		t.Fatalf("replay wrote: before %+v, after %+v", before, after)
	}
}

// A no-op is answered from a read that takes no lock: it completes while
// another transaction holds the user's row and the tenant's seat row.
func TestNoOpNeedsNoLock(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 10)
	id := f.register("locked@example.com").User.ID
	tx, err := f.pool.Begin(f.ctx)
	must(t, err)
	defer func() { _ = tx.Rollback(context.Background()) }()
	_, err = tx.Exec(f.ctx, `SELECT 1 FROM users WHERE id = $1 FOR UPDATE`, id)
	must(t, err)
	_, err = tx.Exec(f.ctx, `SELECT 1 FROM tenants WHERE id = $1 FOR UPDATE`, f.tenant)
	must(t, err)
	ctx, cancel := context.WithTimeout(f.ctx, 3*time.Second)
	defer cancel()
	res, err := f.upd.Handle(ctx, command.UpdateUser{Envelope: f.env(), UserID: id, Patch: user.Patch{GivenName: ptr("Ada")}})
	if err != nil || res.Changed {
		t.Fatalf("no-op under locks: %+v, %v; want unchanged at once", res, err)
	}
}

// The checks that travel in the pipeline before its COMMIT fail in the
// database: a registration into a full tenant commits nothing, and the
// connection it used is clean for the next command.
func TestFailedCheckInThePipelineCommitsNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 1)
	id := f.register("one@example.com").User.ID
	before := f.counts()
	for range 3 { // more than once: the connection goes back to the pool each time
		_, err := f.reg.Handle(f.ctx, command.RegisterUser{Envelope: f.env(), Registration: user.Registration{
			Email: "two@example.com", Profile: user.Profile{GivenName: "T", FamilyName: "Wo"}}})
		if !errors.Is(err, user.ErrSeatsExhausted) {
			t.Fatalf("err = %v, want ErrSeatsExhausted", err)
		}
	}
	if after := f.counts(); after != before {
		t.Fatalf("a refused registration wrote: before %+v, after %+v", before, after)
	}
	res, err := f.upd.Handle(f.ctx, command.UpdateUser{Envelope: f.env(), UserID: id, Patch: user.Patch{Title: ptr("Boss")}})
	if err != nil || !res.Changed || res.User.Version != 2 {
		t.Fatalf("update after the refusals: %+v, %v", res, err)
	}
}

// A command's wake-up of the relays travels after its COMMIT: a listener on
// the user's shard hears it once the command's outbox row is visible, and
// a command that fails sends none. (The commands run on a pool of one
// connection, whose notifications are told from other tests' by its
// backend's pid.)
func TestCommandWakesItsShardAfterCommit(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 1)
	pool, reg, _ := f.ownUnitOfWork(func(cfg *pgxpool.Config) { cfg.MaxConns, cfg.MinConns = 1, 0 })
	var pid uint32
	must(t, pool.QueryRow(f.ctx, `SELECT pg_backend_pid()`).Scan(&pid))

	conn, err := f.pool.Acquire(f.ctx)
	must(t, err)
	defer conn.Release()
	for i := range OutboxShards {
		_, err := conn.Exec(f.ctx, `LISTEN `+pgx.Identifier{OutboxWakeChannel(i)}.Sanitize())
		must(t, err)
	}
	next := func(within time.Duration) (*pgconn.Notification, error) {
		ctx, cancel := context.WithTimeout(f.ctx, within)
		defer cancel()
		for {
			n, err := conn.Conn().WaitForNotification(ctx)
			if err != nil || n.PID == pid {
				return n, err
			}
		}
	}
	register := func(email string) (command.Result, error) {
		return reg.Handle(f.ctx, command.RegisterUser{Envelope: f.env(), Registration: user.Registration{
			Email: email, Profile: user.Profile{GivenName: "W", FamilyName: "Ake"}}})
	}

	res, err := register("wake@example.com")
	must(t, err)
	id := res.User.ID
	n, err := next(5 * time.Second)
	must(t, err)
	if want := OutboxWakeChannel(OutboxShard(id)); n.Channel != want {
		t.Fatalf("woke %q, want the user's shard %q", n.Channel, want)
	}
	var rows int
	must(t, f.pool.QueryRow(f.ctx, `SELECT count(*) FROM watermill_`+OutboxTopic(OutboxShard(id))+
		` WHERE metadata->>'tenant_id' = $1`, f.tenant).Scan(&rows))
	if rows != 1 {
		t.Fatalf("woken with %d outbox rows of the tenant visible, want the command's 1", rows)
	}
	if _, err := register("full@example.com"); !errors.Is(err, user.ErrSeatsExhausted) {
		t.Fatalf("err = %v, want ErrSeatsExhausted", err)
	}
	if n, err := next(300 * time.Millisecond); err == nil {
		t.Fatalf("a refused command woke %q", n.Channel)
	}
}

// A wake-up is a hint: one the server refuses (here a channel name past
// PostgreSQL's 63 bytes) leaves the transaction committed and reported so.
func TestRefusedWakeUpLeavesTheCommit(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 1)
	table := "wake_probe_" + strings.ReplaceAll(uuid.NewString(), "-", "")
	_, err := f.pool.Exec(f.ctx, `CREATE TABLE `+table+` (n int)`)
	must(t, err)
	t.Cleanup(func() { _, _ = f.pool.Exec(context.Background(), `DROP TABLE `+table) })
	pc, err := f.pool.Acquire(f.ctx)
	must(t, err)
	defer pc.Release()
	c := commandConn{conn: pc.Conn()}
	b := &pgx.Batch{}
	b.Queue(`INSERT INTO ` + table + ` VALUES (1)`)
	if err := c.commit(f.ctx, b, nil, strings.Repeat("w", 100)); err != nil {
		t.Fatalf("commit with a refused wake-up: %v, want committed", err)
	}
	var n int
	must(t, f.pool.QueryRow(f.ctx, `SELECT count(*) FROM `+table).Scan(&n))
	if n != 1 || c.inTx() {
		t.Fatalf("rows %d, in transaction %v: want the row committed and the connection idle", n, c.inTx())
	}
}
