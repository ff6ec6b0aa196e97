package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/domain/user"
)

// member is a grouped command with writes to make.
type member struct {
	it     *groupItem
	p      plan
	failed error // the database refused its writes (under its savepoint)
}

// executeCommandGroup applies items in one transaction and finishes each, except
// those it returns, which the caller runs alone: a second command on a
// stream already in the group (it must be decided on the first's result), a
// manager change (it needs its lock to the commit), a lost race without an
// expected version (decided again, as alone), and every member of a group
// whose seat update failed (which of them the tenant's last seats belong to
// is what running them one by one decides).
//
// Round trips: one read of every non-fresh stream and idempotency record,
// then one batch: BEGIN; per command SAVEPOINT, its writes, RELEASE; one seat
// update per tenant; COMMIT. A command whose writes fail (e-mail taken, a
// concurrent twin, a lost race) costs two more round trips: the batch stops
// there, its savepoint is rolled back, and the rest is sent again. So each
// command gets the outcome it would have got alone, in the group's order,
// and a failing command changes no other's.
func (u *UnitOfWork) executeCommandGroup(ctx context.Context, items []*groupItem) (alone []*groupItem) {
	pc, err := u.pool.Acquire(ctx)
	if err != nil {
		return items // each tries on its own, with its own deadline
	}
	c := commandConn{conn: pc.Conn()}
	defer func() {
		_ = c.rollback(context.WithoutCancel(ctx)) // a failed rollback: Release drops the connection
		pc.Release()
	}()

	seen := make(map[user.ID]bool, len(items))
	members := make([]*groupItem, 0, len(items))
	for _, it := range items {
		switch {
		case it.ctx.Err() != nil:
			it.finish(command.Result{}, it.ctx.Err())
		case seen[it.ex.StreamID]:
			alone = append(alone, it)
		default:
			seen[it.ex.StreamID] = true
			members = append(members, it)
		}
	}

	reads := make([]loaded, len(members))
	b := &pgx.Batch{}
	for i, it := range members {
		if !it.ex.FreshStream {
			queueLoad(b, u.upcasters, u.personal, it.ex, &reads[i])
		}
	}
	if b.Len() > 0 {
		if err := c.conn.SendBatch(ctx, b).Close(); err != nil {
			return append(alone, members...)
		}
	}

	var writing []*member
	for i, it := range members {
		p, err := u.plan(it.ex, it.payload, it.hash, &reads[i], noManagersInGroup)
		switch {
		case errors.Is(err, errNeedsTransaction):
			alone = append(alone, it)
		case err != nil || p.writes == nil:
			it.finish(p.res, err)
		default:
			writing = append(writing, &member{it: it, p: p})
		}
	}
	if len(writing) == 0 {
		return alone
	}
	err = u.writeCommandGroup(ctx, c, writing)
	if err != nil {
		if errors.Is(translate(err), user.ErrSeatsExhausted) {
			for _, m := range writing {
				alone = append(alone, m.it)
			}
			return alone
		}
		for _, m := range writing {
			m.it.finish(command.Result{}, err)
		}
		return alone
	}
	for _, m := range writing {
		if m.failed == nil {
			if m.p.res.Changed {
				u.wakeups.committed(OutboxShard(m.it.ex.StreamID))
			}
			m.it.finish(m.p.res, nil)
			continue
		}
		err := translate(m.failed)
		switch {
		case errors.Is(err, errDuplicateCommand):
			// A twin (in this group or another transaction) recorded the
			// id first and has committed: answer with its outcome.
			m.it.finish(u.replay(ctx, m.it.ex.Envelope, m.it.hash))
		case errors.Is(err, user.ErrVersionConflict) && m.it.ex.ExpectedVersion == nil, retryable(err):
			alone = append(alone, m.it)
		default:
			m.it.finish(command.Result{}, err)
		}
	}
	return alone
}

// retryable reports a failure that says nothing about the command itself:
// a deadlock or serialization failure between the group and another writer.
func retryable(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "40P01" || pgErr.Code == "40001")
}

// writeCommandGroup writes the members in one transaction and commits it, marking
// each member whose writes the database refused. An error is the group's:
// nothing was committed (or, for a lost connection during the COMMIT, the
// outcome is unknown, as for a lone command).
func (u *UnitOfWork) writeCommandGroup(ctx context.Context, c commandConn, writing []*member) error {
	next, recovering := 0, false
	for {
		if recovering {
			// On its own: pgx forgets the prepared statements of a batch that
			// failed, and cannot prepare them again in an aborted transaction.
			if _, err := c.conn.Exec(ctx, "ROLLBACK TO SAVEPOINT command; RELEASE SAVEPOINT command"); err != nil {
				return err
			}
		}
		b := &pgx.Batch{}
		if !c.inTx() {
			b.Queue("BEGIN")
		}
		started, released := -1, -1
		for i := next; i < len(writing); i++ {
			b.Queue("SAVEPOINT command").Exec(func(pgconn.CommandTag) error { started = i; return nil })
			for _, q := range writing[i].p.writes {
				b.Queue(q.SQL, q.Arguments...)
			}
			b.Queue("RELEASE SAVEPOINT command").Exec(func(pgconn.CommandTag) error { released = i; return nil })
		}
		queueGroupSeats(b, writing)
		if u.beforeCommit == nil {
			b.Queue("COMMIT")
		}
		err := c.conn.SendBatch(ctx, b).Close()
		var pgErr *pgconn.PgError
		switch {
		case err == nil:
			if u.beforeCommit == nil {
				return nil
			}
			if err := u.beforeCommit(ctx); err != nil {
				return err
			}
			if _, err := c.conn.Exec(ctx, "COMMIT"); err != nil {
				return fmt.Errorf("commit: %w", err)
			}
			return nil
		case started > released && errors.As(err, &pgErr):
			// The command started last failed under its savepoint: the
			// ones before it are written; roll it back and go on after it.
			writing[started].failed = err
			next, recovering = started+1, true
		default:
			return err
		}
	}
}

// queueGroupSeats queues one seat update per tenant, for the net change of
// the members not refused, tenants in a fixed order (two groups never wait
// for each other's seat rows in opposite orders).
func queueGroupSeats(b *pgx.Batch, writing []*member) {
	delta := map[string]int{}
	for _, m := range writing {
		if m.failed == nil {
			delta[m.it.ex.TenantID] += m.p.seats
		}
	}
	tenants := make([]string, 0, len(delta))
	for t := range delta {
		tenants = append(tenants, t)
	}
	slices.Sort(tenants)
	for _, t := range tenants {
		queueSeats(b, t, delta[t])
	}
}
