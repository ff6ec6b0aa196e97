package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/domain/user"
)

// GroupCommitConfig configures group commit: commands that arrive while the
// unit of work is busy are applied together, in one transaction, each under
// its own savepoint, with one seat update per tenant and one COMMIT.
type GroupCommitConfig struct {
	// MaxGroup is the most commands in one transaction (2 to 60: each is a
	// subtransaction, and PostgreSQL tracks at most 64 per transaction
	// without overflowing to disk). Default 32.
	MaxGroup int
	// InFlight is how many transactions (groups, or lone commands) run at
	// once; commands arriving while all are busy wait for the next group.
	// Default 2: one group commits while the next is read and decided.
	InFlight int
}

func (c *GroupCommitConfig) setDefaults() {
	if c.MaxGroup == 0 {
		c.MaxGroup = 32
	}
	if c.InFlight == 0 {
		c.InFlight = 2
	}
}

// Validate reports every invalid field.
func (c GroupCommitConfig) Validate() error {
	var errs []error
	if c.MaxGroup < 2 || c.MaxGroup > 60 {
		errs = append(errs, fmt.Errorf("group commit: MaxGroup %d, want 2 to 60", c.MaxGroup))
	}
	if c.InFlight < 1 {
		errs = append(errs, fmt.Errorf("group commit: InFlight %d, want at least 1", c.InFlight))
	}
	return errors.Join(errs...)
}

// groupTimeout bounds one group's work on the database: the callers in it
// share it, so no one caller's deadline applies.
const groupTimeout = 30 * time.Second

// EnableGroupCommit turns group commit on. A command that finds a free
// slot and nobody waiting runs alone, exactly as without group commit, so a
// lone client's latency is unchanged; only commands that would have waited
// for a connection's turn are grouped. Call it before the first Execute.
func (u *UnitOfWork) EnableGroupCommit(cfg GroupCommitConfig) error {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return err
	}
	u.group = &groupCommit{u: u, cfg: cfg}
	return nil
}

// groupCommit queues the commands that arrive while InFlight transactions
// run, and starts the next group when one ends.
type groupCommit struct {
	u   *UnitOfWork
	cfg GroupCommitConfig

	mu      sync.Mutex
	queue   []*groupItem
	running int
}

// groupItem is one caller's command, and its outcome once done is closed.
type groupItem struct {
	ctx     context.Context
	ex      command.Execution
	payload []byte
	hash    []byte
	res     command.Result
	err     error
	done    chan struct{}
}

func (it *groupItem) finish(res command.Result, err error) {
	it.res, it.err = res, err
	close(it.done)
}

func (g *groupCommit) execute(ctx context.Context, ex command.Execution, payload, hash []byte) (command.Result, error) {
	g.mu.Lock()
	// Invariant (under mu): the queue is empty or every slot is taken.
	if g.running < g.cfg.InFlight {
		g.running++
		g.mu.Unlock()
		res, err := g.u.executeAlone(ctx, ex, payload, hash)
		g.release()
		return res, err
	}
	it := &groupItem{ctx: ctx, ex: ex, payload: payload, hash: hash, done: make(chan struct{})}
	g.queue = append(g.queue, it)
	g.mu.Unlock()
	<-it.done
	return it.res, it.err
}

// release frees a slot and hands the waiting commands to new groups.
func (g *groupCommit) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.running--
	for g.running < g.cfg.InFlight && len(g.queue) > 0 {
		n := min(len(g.queue), g.cfg.MaxGroup)
		items := make([]*groupItem, n)
		copy(items, g.queue)
		g.queue = append(g.queue[:0:0], g.queue[n:]...)
		g.running++
		go g.run(items)
	}
}

func (g *groupCommit) run(items []*groupItem) {
	defer g.release()
	if len(items) == 1 {
		it := items[0]
		it.finish(g.u.executeAlone(it.ctx, it.ex, it.payload, it.hash))
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), groupTimeout)
	defer cancel()
	alone := g.u.executeCommandGroup(ctx, items)
	// Commands the group could not carry (see executeCommandGroup) run on their
	// own, each as if no group existed.
	var wg sync.WaitGroup
	for _, it := range alone {
		wg.Go(func() { it.finish(g.u.executeAlone(it.ctx, it.ex, it.payload, it.hash)) })
	}
	wg.Wait()
}

// errNeedsTransaction is the manager lookup of a grouped decision: a manager
// change needs its lock held to the commit (see managerLookup), so such a
// command leaves the group and runs alone.
var errNeedsTransaction = errors.New("manager change: runs alone")

func noManagersInGroup(user.ID) ([]user.ID, error) { return nil, errNeedsTransaction }
