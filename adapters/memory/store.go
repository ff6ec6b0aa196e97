// Package memory implements the application's ports in memory: the unit of
// work, the users read model and event store, tenants and tokens, and the
// import store (jobs, staging, chunks). It keeps
// the PostgreSQL adapter's promises (one atomic step per command, replay of a
// repeated command id, optimistic concurrency, unique e-mail, external id and
// username per tenant, licence seats), which app/porttest checks against both,
// so app-layer tests can run without a database. It is for tests and local
// experiments: nothing is persisted.
package memory

import (
	"sync"
	"time"

	"github.com/userservice/userservice/domain/user"
)

// Store is one in-memory database. Every adapter of this package built on
// the same Store sees the same data, as the PostgreSQL adapters share a pool.
// A mutex serialises writes: each command is one step, as a transaction is.
type Store struct {
	mu       sync.Mutex
	now      func() time.Time
	tenants  map[string]*tenant
	tokens   map[string]*token // by id
	streams  map[user.ID]*stream
	commands map[commandKey]recorded
	jobs     map[string]*importJob   // by id
	staged   map[string][]*stagedRow // by job id
}

// NewStore returns an empty store whose clock is time.Now.
func NewStore() *Store {
	return &Store{now: time.Now, tenants: map[string]*tenant{}, tokens: map[string]*token{},
		streams: map[user.ID]*stream{}, commands: map[commandKey]recorded{}, jobs: map[string]*importJob{},
		staged: map[string][]*stagedRow{}}
}

type tenant struct {
	id, name        string
	seatLimit, used int
}

// stream is one user's events and the read model row they fold into.
type stream struct {
	tenantID string
	events   []storedEvent
	snap     user.Snapshot
}

type commandKey struct{ tenantID, commandID string }

// recorded is a command's first outcome, for replays.
type recorded struct {
	hash      string
	typ       string
	snap      user.Snapshot
	unchanged bool
}
