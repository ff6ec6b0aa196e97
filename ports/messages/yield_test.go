package messages_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/pubsub/gochannel"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/userservice/userservice/adapters/postgres"
	"github.com/userservice/userservice/adapters/postgres/pgtest"
	"github.com/userservice/userservice/ports/messages"
)

// admissions records what a Yield admits: how many messages at most were
// being applied at once, and how many were admitted.
type admissions struct {
	messages.Yield
	mu               sync.Mutex
	now, most, total int
}

func (a *admissions) Admit(ctx context.Context) (func(), error) {
	release, err := a.Yield.Admit(ctx)
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	a.now++
	a.total++
	a.most = max(a.most, a.now)
	a.mu.Unlock()
	return func() {
		a.mu.Lock()
		a.now--
		a.mu.Unlock()
		release()
	}, nil
}

// TestImporterPutsTheAPIFirst: while an API process (a connection named as
// one) has a request in the database for the whole import, the importer's
// four consumers apply the chunks one at a time, and the import still
// finishes, every row counted once (the wait for a quiet moment is
// bounded). With the API idle, chunks are admitted side by side. The rows
// travel on an in-process GoChannel and the API's connection has a name
// prefix of the test's own, so no other test takes part.
func TestImporterPutsTheAPIFirst(t *testing.T) {
	t.Parallel()
	bus := gochannel.NewGoChannel(gochannel.Config{OutputChannelBuffer: 100, Persistent: true}, watermill.NopLogger{})
	t.Cleanup(func() { _ = bus.Close() })
	h := newHarness(t, 5000, options{publisher: bus, topic: "imports-yield"})
	prefix := "t" + strings.ReplaceAll(uuid.NewString(), "-", "")[:12]
	api, err := pgx.Connect(h.ctx, postgres.WithApplicationName(pgtest.URL(), prefix+" api"))
	must(t, err)
	t.Cleanup(func() { _ = api.Close(context.Background()) })
	activity, err := postgres.NewAPIActivity(h.pool, prefix)
	must(t, err)
	yield := &admissions{Yield: messages.NewAPIFirst(activity, nil, 20*time.Millisecond, nil)}

	// The API idle: two chunks are admitted at once.
	r1, err := yield.Admit(h.ctx)
	must(t, err)
	r2, err := yield.Admit(h.ctx)
	must(t, err)
	if yield.most != 2 {
		t.Fatalf("API idle: %d chunks admitted side by side, want 2", yield.most)
	}
	r1()
	r2()
	yield.most, yield.total = 0, 0

	// A request of the API inside its transaction, for the whole import.
	tx, err := api.Begin(h.ctx)
	must(t, err)
	_, err = tx.Exec(h.ctx, `SELECT 1`)
	must(t, err)
	cfg := messagesConfig()
	cfg.Sources = []messages.Source{{Name: "bus", Subscriber: bus, Topic: "imports-yield", Consumers: 4}}
	cfg.Requeue, cfg.RequeueTopic, cfg.Yield = bus, "imports-yield", yield
	var b strings.Builder
	b.WriteString(header)
	for i := range 750 {
		fmt.Fprintf(&b, "Y%d,y%d@example.com,Y,Row,,,,,\n", i, i)
	}
	started := h.importCSV(b.String())
	h.startRouter(cfg)
	if got := countsOf(h.waitFinished(started.JobID)); got != (counts{total: 750, created: 750}) {
		t.Fatalf("counts %+v", got)
	}
	must(t, tx.Rollback(h.ctx))
	yield.mu.Lock()
	defer yield.mu.Unlock()
	if yield.total < 3 || yield.most != 1 {
		t.Fatalf("API busy: %d messages admitted, at most %d at once; want every chunk (3), one at a time", yield.total, yield.most)
	}
}

// busyAPI is an API that always has a request in flight (a steady load,
// which never leaves a quiet moment).
type busyAPI struct{}

func (busyAPI) InFlight(context.Context) (int, error) { return 1, nil }

// TestAPIFirstPausesAsLongAsAChunkTakes: beside an API that is never quiet,
// the first chunk waits MaxWait (its cost unknown), and each next one
// pauses about as long as the last chunk took, not MaxWait again: the
// import keeps about half of one consumer's rate instead of a chunk per
// MaxWait.
func TestAPIFirstPausesAsLongAsAChunkTakes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const maxWait = 2 * time.Second
	y := messages.NewAPIFirst(busyAPI{}, nil, maxWait, nil)
	start := time.Now()
	release, err := y.Admit(ctx)
	must(t, err)
	if waited := time.Since(start); waited < maxWait {
		t.Fatalf("the first chunk waited %v, want MaxWait (%v): its cost is unknown", waited, maxWait)
	}
	time.Sleep(5 * time.Millisecond) // the chunk's work
	release()
	start = time.Now()
	release, err = y.Admit(ctx)
	must(t, err)
	release()
	if waited := time.Since(start); waited > maxWait/2 {
		t.Fatalf("the next chunk waited %v after a chunk of ~5ms, want about as long as that chunk, far below MaxWait (%v)", waited, maxWait)
	}
}

// TestAPIFirstTakesTurnsAcrossProcesses: two processes' priorities (an
// importer's and an api process's queueing, say) beside an API that is
// never quiet share postgres.ImportTurns: their chunks never overlap, and
// each is preceded by a pause as long as a chunk, so the two together
// keep the busy API's machine about half of one connection's time, not
// half each.
func TestAPIFirstTakesTurnsAcrossProcesses(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pool := pgtest.Pool(t)
	prefix := "t" + strings.ReplaceAll(uuid.NewString(), "-", "")[:12]
	const work, chunks = 20 * time.Millisecond, 6
	var mu sync.Mutex
	running, most, done := 0, 0, 0
	apply := func(y *messages.APIFirst) {
		release, err := y.Admit(ctx)
		if err != nil {
			t.Error(err)
			return
		}
		mu.Lock()
		running++
		most = max(most, running)
		mu.Unlock()
		time.Sleep(work)
		mu.Lock()
		running--
		done++
		mu.Unlock()
		release()
	}
	start := time.Now()
	var wg sync.WaitGroup
	for range 2 {
		turns, err := postgres.NewImportTurns(pool, prefix)
		must(t, err)
		t.Cleanup(turns.Close)
		y := messages.NewAPIFirst(busyAPI{}, turns, work, nil)
		for range 2 { // two consumers of the process
			wg.Go(func() {
				for range chunks {
					apply(y)
				}
			})
		}
	}
	wg.Wait()
	elapsed := time.Since(start)
	if most != 1 || done != 4*chunks {
		t.Fatalf("%d chunks applied, at most %d at once; want %d, one at a time across the processes", done, most, 4*chunks)
	}
	// Each chunk after a pause at least as long as itself (the first one's
	// is MaxWait, here the chunk's time too).
	if floor := 2 * work * 4 * chunks; elapsed < floor {
		t.Fatalf("%d chunks of %v took %v, want at least %v: a pause before each", 4*chunks, work, elapsed, floor)
	}
}
