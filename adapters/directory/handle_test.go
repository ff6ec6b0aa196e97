package directory

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/userservice/userservice/adapters/eventcontract"
	"github.com/userservice/userservice/adapters/kafka/kafkatest"
	"github.com/userservice/userservice/adapters/postgres/pgtest"
	"github.com/userservice/userservice/domain/user"
)

// observer records, per event id of one tenant, every outcome the projector
// reported, in order.
type observer struct {
	tenant string
	mu     sync.Mutex
	seen   map[string][]outcome
}

func newObserver(tenant string) *observer {
	return &observer{tenant: tenant, seen: map[string][]outcome{}}
}

func (o *observer) observe(ev eventcontract.Event, out outcome) {
	if ev.TenantID != o.tenant {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.seen[ev.ID] = append(o.seen[ev.ID], out)
}

func (o *observer) outcomes(id string) []outcome {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]outcome(nil), o.seen[id]...)
}

func (o *observer) count() (events, deliveries int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, outs := range o.seen {
		events++
		deliveries += len(outs)
	}
	return events, deliveries
}

// handlerFixture is a projector on the real database whose handler the test
// calls directly, with its own consumer name and tenant.
type handlerFixture struct {
	t      *testing.T
	ctx    context.Context
	pool   *pgxpool.Pool
	p      *Projector
	obs    *observer
	tenant string
	user   string
}

func newHandlerFixture(t *testing.T) *handlerFixture {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	f := &handlerFixture{t: t, ctx: ctx, pool: pgtest.Pool(t), tenant: uuid.NewString(), user: uuid.NewString()}
	f.obs = newObserver(f.tenant)
	cfg := Config{Consumer: kafkatest.UniqueName(t, "directory")}
	cfg.setDefaults()
	m, err := newMetrics(nil)
	must(t, err)
	f.p = &Projector{cfg: cfg, pool: f.pool, metrics: m, logger: watermill.NopLogger{}, observe: f.obs.observe}
	return f
}

// message is a published event of the fixture's user, as Kafka delivers it.
func (f *handlerFixture) message(id string, version int, data user.Event) *message.Message {
	f.t.Helper()
	raw, err := json.Marshal(data)
	must(f.t, err)
	payload, err := json.Marshal(eventcontract.Envelope{SpecVersion: "1.0", ID: id, Source: eventcontract.Source,
		Type: data.EventType(), Subject: f.user, Time: time.Now().UTC(), DataContentType: "application/json",
		Data: raw, TenantID: f.tenant, StreamVersion: version, CausationID: "cmd"})
	must(f.t, err)
	return message.NewMessage(id, payload)
}

func (f *handlerFixture) handle(msg *message.Message) outcome {
	f.t.Helper()
	must(f.t, f.p.handle(msg))
	outs := f.obs.outcomes(msg.UUID)
	if len(outs) == 0 {
		f.t.Fatalf("event %s: no outcome reported", msg.UUID)
	}
	return outs[len(outs)-1]
}

func (f *handlerFixture) row() (e entry, found bool) {
	f.t.Helper()
	err := f.pool.QueryRow(f.ctx, `SELECT email, given_name, family_name, display_name, department, status, version, updated_at
		FROM user_directory WHERE tenant_id = $1 AND user_id = $2`, f.tenant, f.user).Scan(&e.Email, &e.GivenName,
		&e.FamilyName, &e.DisplayName, &e.Department, &e.Status, &e.Version, &e.UpdatedAt)
	if err != nil {
		return entry{}, false
	}
	return e, true
}

func (f *handlerFixture) processed(id string) int {
	f.t.Helper()
	var n int
	must(f.t, f.pool.QueryRow(f.ctx, `SELECT count(*) FROM processed_events WHERE consumer = $1 AND event_id = $2`,
		f.p.cfg.Consumer, id).Scan(&n))
	return n
}

func TestHandleRecordsEachEventOnceWithItsEffect(t *testing.T) {
	t.Parallel()
	f := newHandlerFixture(t)
	reg := f.message(uuid.NewString(), 1, user.Registered{TenantID: f.tenant, Email: "a@example.com",
		Profile: user.Profile{GivenName: "A", FamilyName: "B"}})
	if o := f.handle(reg); o != outcomeApplied {
		t.Fatalf("first delivery: %s", o)
	}
	first, _ := f.row()
	// The same message again: the processed_events row decides.
	if o := f.handle(reg); o != outcomeDuplicate {
		t.Fatalf("second delivery: %s, want duplicate", o)
	}
	if again, _ := f.row(); again != first {
		t.Errorf("a duplicate changed the row: %+v -> %+v", first, again)
	}
	if n := f.processed(reg.UUID); n != 1 {
		t.Errorf("%d processed_events rows for the event, want 1", n)
	}

	// Another event id at a version the row has: the version check decides.
	stale := f.message(uuid.NewString(), 1, user.Registered{TenantID: f.tenant, Email: "other@example.com",
		Profile: user.Profile{GivenName: "X", FamilyName: "Y"}})
	if o := f.handle(stale); o != outcomeStale {
		t.Errorf("stale event: %s", o)
	}
	if n := f.processed(stale.UUID); n != 1 {
		t.Errorf("a stale event is handled too: %d processed rows, want 1", n)
	}

	// A version past the next one still applies (and is logged as a gap).
	if o := f.handle(f.message(uuid.NewString(), 3, user.Deactivated{Reason: "x"})); o != outcomeApplied {
		t.Errorf("event after a gap: %s", o)
	}
	if got, _ := f.row(); got.Status != "deactivated" || got.Version != 3 || got.Email != "a@example.com" {
		t.Errorf("row after the gap: %+v", got)
	}
}

func TestHandleSkipsWhatItCannotApply(t *testing.T) {
	t.Parallel()
	f := newHandlerFixture(t)
	orphan := f.message(uuid.NewString(), 2, user.EmailChanged{OldEmail: "a@x.io", NewEmail: "b@x.io"})
	if o := f.handle(orphan); o != outcomeNoUser {
		t.Errorf("change of an unseen user: %s", o)
	}
	if _, found := f.row(); found {
		t.Error("a change created a row without a registration")
	}

	future := f.message(uuid.NewString(), 1, user.Reactivated{})
	future.Payload = mustJSON(t, withAttr(t, future, "type", "user.registered.v9"))
	if o := f.handle(future); o != outcomeUnknownType {
		t.Errorf("newer version: %s", o)
	}
	if n := f.processed(future.UUID); n != 0 {
		t.Error("an unknown type was recorded as processed: an upgraded build would skip it")
	}

	for name, payload := range map[string]string{
		"not JSON":         `{"id":`,
		"no envelope":      `{"hello":"world"}`,
		"subject not UUID": string(mustJSON(t, withAttr(t, f.message(uuid.NewString(), 1, user.Reactivated{}), "subject", "bob"))),
	} {
		msg := message.NewMessage(uuid.NewString(), []byte(payload))
		if err := f.p.handle(msg); err != nil {
			t.Errorf("%s: handle = %v, want the message skipped", name, err)
		}
	}
}

func withAttr(t *testing.T, msg *message.Message, key, value string) map[string]any {
	t.Helper()
	var env map[string]any
	must(t, json.Unmarshal(msg.Payload, &env))
	env[key] = value
	return env
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	must(t, err)
	return b
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
