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

// GroupCommitConfig configures group commit: commands of one tenant that
// arrive while that tenant's transactions are busy are applied together, in
// one transaction, each under its own savepoint, with one seat update and
// one COMMIT. Tenants never share a group or wait for each other's: a
// tenant whose seat row is locked (by an import's chunk, say) holds up only
// its own commands, as without group commit.
type GroupCommitConfig struct {
	// MaxGroup is the most commands in one transaction (2 to 60: each is a
	// subtransaction, and PostgreSQL tracks at most 64 per transaction
	// without overflowing to disk). Default 32.
	MaxGroup int
	// InFlight is how many transactions (groups, or lone commands) of one
	// tenant run at once; the tenant's commands arriving while all are busy
	// wait for the next group. Default 2: one group commits while the next
	// is read and decided.
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

// EnableGroupCommit turns group commit on. A command that finds one of its
// tenant's slots free (and so nobody of its tenant waiting) runs alone, exactly as without group commit, so a
// lone client's latency is unchanged; only commands that would have waited
// for a connection's turn are grouped. Call it before the first Execute.
func (u *UnitOfWork) EnableGroupCommit(cfg GroupCommitConfig) error {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return err
	}
	u.group = &groupCommit{u: u, cfg: cfg, lanes: map[string]*lane{}}
	return nil
}

// groupCommit queues, per tenant, the commands that arrive while InFlight
// of that tenant's transactions run, and starts the next group when one ends.
type groupCommit struct {
	u   *UnitOfWork
	cfg GroupCommitConfig

	mu    sync.Mutex
	lanes map[string]*lane // by tenant; absent: nothing running or waiting
}

// lane is one tenant's running transactions and waiting commands.
// Invariant (under groupCommit.mu): the queue is empty or every slot is taken.
type lane struct {
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
	tenant := ex.TenantID
	g.mu.Lock()
	l := g.lanes[tenant]
	if l == nil {
		l = &lane{}
		g.lanes[tenant] = l
	}
	if l.running < g.cfg.InFlight {
		l.running++
		g.mu.Unlock()
		res, err := g.u.executeAlone(ctx, ex, payload, hash)
		g.release(tenant)
		return res, err
	}
	it := &groupItem{ctx: ctx, ex: ex, payload: payload, hash: hash, done: make(chan struct{})}
	l.queue = append(l.queue, it)
	g.mu.Unlock()
	<-it.done
	return it.res, it.err
}

// release frees one of the tenant's slots and hands its waiting commands to
// new groups.
func (g *groupCommit) release(tenant string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	l := g.lanes[tenant]
	l.running--
	for l.running < g.cfg.InFlight && len(l.queue) > 0 {
		n := min(len(l.queue), g.cfg.MaxGroup)
		items := make([]*groupItem, n)
		copy(items, l.queue)
		l.queue = append(l.queue[:0:0], l.queue[n:]...)
		l.running++
		go g.run(tenant, items)
	}
	if l.running == 0 {
		delete(g.lanes, tenant)
	}
}

// waiting is how many of the tenant's commands wait for a group (tests).
func (g *groupCommit) waiting(tenant string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	if l := g.lanes[tenant]; l != nil {
		return len(l.queue)
	}
	return 0
}

func (g *groupCommit) run(tenant string, items []*groupItem) {
	defer g.release(tenant)
	if len(items) == 1 {
		it := items[0]
		it.finish(g.u.executeAlone(it.ctx, it.ex, it.payload, it.hash))
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), groupTimeout)
	defer cancel()
	alone := g.u.executeCommandGroup(ctx, items)
	// Commands the group could not carry (see executeCommandGroup) run on
	// their own, each as if no group existed.
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
