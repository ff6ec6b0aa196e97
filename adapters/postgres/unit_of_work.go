package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/userservice/userservice/adapters/personaldata"
	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/domain/user"
)

// maxAttempts bounds the retries of a command that lost an optimistic
// concurrency race without an expected version: it is decided again on the
// fresh state. With an expected version the caller gets the conflict.
const maxAttempts = 3

// UnitOfWork carries out commands: see command.UnitOfWork.
type UnitOfWork struct {
	pool      *pgxpool.Pool
	logger    watermill.LoggerAdapter
	upcasters *user.Upcasters
	wakeups   *outboxWakeups
	now       func() time.Time
	personal  *personaldata.Keys // nil: personal data stored in clear
	// beforeCommit, when set (by tests only), runs after every write and
	// before the commit: it stands for a crash between the steps.
	beforeCommit func(ctx context.Context) error
	// group, when set (EnableGroupCommit), groups concurrent commands.
	group *groupCommit
}

// NewUnitOfWork returns a unit of work on pool; logger receives Watermill's
// publisher logs.
func NewUnitOfWork(pool *pgxpool.Pool, logger watermill.LoggerAdapter) (*UnitOfWork, error) {
	if pool == nil {
		return nil, errors.New("NewUnitOfWork: nil pool")
	}
	if logger == nil {
		logger = watermill.NopLogger{}
	}
	return &UnitOfWork{pool: pool, logger: logger, upcasters: user.EventUpcasters(), wakeups: &outboxWakeups{pool: pool},
		now: time.Now}, nil
}

// outcome is a command's first outcome as recorded for idempotent replays.
// Unchanged is set for a recorded no-op (records without it changed something).
type outcome struct {
	User      snapshotJSON `json:"user"`
	Unchanged bool         `json:"unchanged,omitempty"`
}

// Execute implements command.UnitOfWork.
func (u *UnitOfWork) Execute(ctx context.Context, ex command.Execution) (command.Result, error) {
	payload, hash, err := commandPayload(ex)
	if err != nil {
		return command.Result{}, err
	}
	if u.group != nil {
		return u.group.execute(ctx, ex, payload, hash)
	}
	return u.executeAlone(ctx, ex, payload, hash)
}

// executeAlone carries out one command in a transaction of its own.
func (u *UnitOfWork) executeAlone(ctx context.Context, ex command.Execution, payload, hash []byte) (command.Result, error) {
	for attempt := 1; ; attempt++ {
		res, err := u.execute(ctx, ex, payload, hash)
		switch {
		case errors.Is(err, errDuplicateCommand):
			// A concurrent twin recorded the id first: answer with its outcome.
			return u.replay(ctx, ex.Envelope, hash)
		case errors.Is(err, user.ErrVersionConflict) && ex.ExpectedVersion == nil && attempt < maxAttempts:
			continue
		}
		return res, err
	}
}

// commandPayload is the payload a command is recorded with, and the hash
// that guards its idempotency key against reuse with another command.
func commandPayload(ex command.Execution) (payload, hash []byte, err error) {
	payload, err = json.Marshal(ex.Payload)
	if err != nil {
		return nil, nil, fmt.Errorf("encode %s payload: %w", ex.Type, err)
	}
	return payload, requestHash(ex, payload), nil
}

// execute is one attempt. Round trips: one read batch outside any
// transaction (the idempotency record and the stream; none for a stream the
// handler has just made up, see command.Execution.FreshStream), then one
// batch that is the whole transaction: BEGIN, the writes with the outbox
// insert, COMMIT. A no-op writes nothing and opens no transaction. Only a
// manager change opens it earlier, for its lock (see managerLookup). (Import
// chunks do not come through here: ImportChunks writes a whole chunk's
// commands set-wise in a transaction of its own.)
func (u *UnitOfWork) execute(ctx context.Context, ex command.Execution, payload, hash []byte) (res command.Result, err error) {
	pc, err := u.pool.Acquire(ctx)
	if err != nil {
		return res, fmt.Errorf("acquire connection: %w", err)
	}
	c := commandConn{conn: pc.Conn()}
	defer func() {
		// A connection whose rollback failed is closed by Release (pgxpool
		// drops connections that are not idle).
		if rbErr := c.rollback(context.WithoutCancel(ctx)); rbErr != nil {
			err = errors.Join(err, rbErr)
		}
		pc.Release()
	}()

	var read loaded
	if !ex.FreshStream {
		b := &pgx.Batch{}
		queueLoad(b, u.upcasters, u.personal, ex, &read)
		if err := c.conn.SendBatch(ctx, b).Close(); err != nil {
			return res, fmt.Errorf("load command %s and stream %s: %w", ex.CommandID, ex.StreamID, err)
		}
	}
	p, err := u.plan(ex, payload, hash, &read, managerLookup(ctx, c, ex.TenantID))
	if err != nil || p.writes == nil {
		return p.res, err
	}
	b := &pgx.Batch{QueuedQueries: p.writes}
	queueSeats(b, ex.TenantID, p.seats)
	var wake string
	if p.res.Changed {
		wake = OutboxWakeChannel(OutboxShard(ex.StreamID))
	}
	if err := c.commit(ctx, b, u.beforeCommit, wake); err != nil {
		return command.Result{}, translate(err)
	}
	return p.res, nil
}

// plan is a command decided on the state read: the writes that carry it
// out (nil: none) without the seat change, that change, and its outcome once
// the writes commit.
type plan struct {
	writes []*pgx.QueuedQuery
	seats  int
	res    command.Result
}

// plan decides ex on what read found: a repeated command's first outcome, a
// refusal, a no-op (written only for a client's key), or the writes.
func (u *UnitOfWork) plan(ex command.Execution, payload, hash []byte, read *loaded, managers user.ManagerLookup) (plan, error) {
	if read.prior != nil {
		res, err := replayed(*read.prior, hash)
		return plan{res: res}, err
	}
	current, err := read.state(ex.StreamID)
	if err != nil {
		return plan{}, err
	}
	version := 0
	if current != nil {
		version = current.Version()
	}
	if ex.ExpectedVersion != nil && *ex.ExpectedVersion != version {
		return plan{}, user.ErrVersionConflict
	}
	events, err := ex.Decide(current, managers)
	if err != nil {
		return plan{}, err
	}
	b := &pgx.Batch{}
	if len(events) == 0 {
		// Change detection: nothing decided, nothing written, except the
		// client's key (see command.Envelope.ClientKey).
		p := plan{res: command.Result{User: current.Snapshot(), Changed: false}}
		if !ex.ClientKey {
			return p, nil
		}
		if err := queueNoop(b, ex, payload, hash, p.res.User); err != nil {
			return plan{}, err
		}
		p.writes = b.QueuedQueries
		return p, nil
	}
	next, stored, err := prepareEvents(ex, current, events, u.now())
	if err != nil {
		return plan{}, err
	}
	key := read.key
	if key == nil {
		key = freshUserKey(u.personal, ex.TenantID, ex.StreamID)
	}
	if err := sealEvents(userSealer(key), stored); err != nil {
		return plan{}, err
	}
	snap := next.Snapshot()
	if err := queueCommand(context.Background(), b, ex, payload, hash, snap, current, stored, key, u.logger); err != nil {
		return plan{}, err
	}
	queueErasure(b, ex.TenantID, ex.StreamID, events)
	return plan{writes: b.QueuedQueries, seats: seatDelta(current, events), res: command.Result{User: snap, Changed: true}}, nil
}

// replay answers a repeated command id with its first outcome, unless the
// payload differs: then the key was reused for another command.
func (u *UnitOfWork) replay(ctx context.Context, env command.Envelope, hash []byte) (command.Result, error) {
	prior, err := u.recordedCommand(ctx, env)
	if err != nil {
		return command.Result{}, err
	}
	return replayed(prior, hash)
}

type priorCommand struct {
	hash    []byte
	outcome []byte
}

func replayed(prior priorCommand, hash []byte) (command.Result, error) {
	if string(prior.hash) != string(hash) {
		return command.Result{}, command.ErrIdempotencyKeyReused
	}
	var o outcome
	if err := json.Unmarshal(prior.outcome, &o); err != nil {
		return command.Result{}, fmt.Errorf("decode recorded outcome: %w", err)
	}
	snap, err := o.User.snapshot()
	if err != nil {
		return command.Result{}, err
	}
	return command.Result{User: snap, Changed: !o.Unchanged, Replayed: true}, nil
}

// seatDelta is the seats the events take (positive) or free (negative) for a
// user in state current (nil: not registered yet).
func seatDelta(current *user.User, events []user.Event) int {
	var from user.Status
	if current != nil {
		from = current.Status()
	}
	return user.SeatDelta(from, events)
}
