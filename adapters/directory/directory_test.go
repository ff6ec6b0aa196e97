package directory

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/userservice/userservice/adapters/eventcontract/eventtest"
	"github.com/userservice/userservice/adapters/kafka"
	"github.com/userservice/userservice/adapters/kafka/kafkatest"
	"github.com/userservice/userservice/domain/user"
)

// startProjector runs a projector on env's topic in consumer group (also its
// processed_events name) until the returned stop is called.
func startProjector(t *testing.T, env *eventtest.Env, group string, obs *observer) (stop func()) {
	t.Helper()
	sub, err := kafka.NewSubscriber(kafka.SubscriberConfig{Brokers: env.Brokers, ConsumerGroup: group}, nil)
	must(t, err)
	p, err := New(env.Pool, sub, Config{Topic: env.Topic, Consumer: group}, nil)
	must(t, err)
	p.observe = obs.observe
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("projector: %v", err)
		}
	}
	t.Cleanup(stop)
	return stop
}

// directoryRow is what the directory and the users read model both hold.
type directoryRow struct {
	ID, Email, GivenName, FamilyName, DisplayName, Department, Status string
	Version                                                           int
	UpdatedAt                                                         time.Time
}

func rows(t *testing.T, env *eventtest.Env, table, idColumn string) map[string]directoryRow {
	t.Helper()
	rs, err := env.Pool.Query(env.Ctx, `SELECT `+idColumn+`::text, email, given_name, family_name, display_name, department,
		status, version, updated_at FROM `+table+` WHERE tenant_id = $1`, env.Tenant)
	must(t, err)
	defer rs.Close()
	out := map[string]directoryRow{}
	for rs.Next() {
		var r directoryRow
		must(t, rs.Scan(&r.ID, &r.Email, &r.GivenName, &r.FamilyName, &r.DisplayName, &r.Department, &r.Status, &r.Version, &r.UpdatedAt))
		out[r.ID] = r
	}
	must(t, rs.Err())
	return out
}

// waitForDirectory waits until the tenant's directory equals its users read
// model, and fails showing the difference if it does not in time.
func waitForDirectory(t *testing.T, env *eventtest.Env) {
	t.Helper()
	deadline := time.Now().Add(eventtest.Patience)
	for {
		want, got := rows(t, env, "users", "id"), rows(t, env, "user_directory", "user_id")
		if reflect.DeepEqual(want, got) {
			return
		}
		if time.Now().After(deadline) {
			for id, w := range want {
				if got[id] != w {
					t.Errorf("user %s:\n users     %+v\n directory %+v", id, w, got[id])
				}
			}
			t.Fatalf("directory (%d rows) never matched the users read model (%d rows)", len(got), len(want))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitFor polls cond until it holds or eventtest.Patience passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(eventtest.Patience); !cond(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func processedCount(t *testing.T, env *eventtest.Env, consumer string) int {
	t.Helper()
	var n int
	must(t, env.Pool.QueryRow(env.Ctx, `SELECT count(*) FROM processed_events p JOIN events e ON e.event_id::text = p.event_id
		WHERE p.consumer = $1 AND e.tenant_id = $2`, consumer, env.Tenant).Scan(&n))
	return n
}

func TestDirectoryFollowsTheUsersThroughKafka(t *testing.T) {
	t.Parallel()
	env := eventtest.New(t)
	group := kafkatest.UniqueName(t, "directory")
	obs := newObserver(env.Tenant)
	startProjector(t, env, group, obs)
	for i := range 4 {
		env.Lifecycle(i)
	}
	// And users who stay active, with a manager and a department move.
	boss := env.Register(fmt.Sprintf("boss-%s@example.com", env.Tenant[:8]), user.Profile{GivenName: "B", FamilyName: "Oss", Department: "Board"})
	for i := range 3 {
		id := env.Register(fmt.Sprintf("staff%d-%s@example.com", i, env.Tenant[:8]),
			user.Profile{GivenName: "S", FamilyName: fmt.Sprint(i), ManagerID: boss.String()})
		dept := "Sales"
		env.Update(id, user.Patch{Department: &dept})
	}
	waitForDirectory(t, env)
	if n, want := processedCount(t, env, group), len(env.EventIDs()); n != want {
		t.Errorf("%d processed_events rows for the tenant, want one per event: %d", n, want)
	}
}

func TestDuplicateRecordsHaveNoSecondEffect(t *testing.T) {
	t.Parallel()
	env := eventtest.New(t)
	group := kafkatest.UniqueName(t, "directory")
	obs := newObserver(env.Tenant)
	startProjector(t, env, group, obs)
	for i := range 2 {
		env.Lifecycle(i)
	}
	waitForDirectory(t, env)
	before := rows(t, env, "user_directory", "user_id")

	// Re-send every record of the tenant, as a relay that crashed between
	// publishing and recording its offset would.
	records := env.Records(eventtest.Patience)
	for _, r := range records {
		env.Resend(r)
	}
	waitFor(t, "every resent record to be handled", func() bool {
		_, deliveries := obs.count()
		return deliveries >= 2*len(records)
	})
	for _, r := range records {
		if outs := obs.outcomes(r.ID); !reflect.DeepEqual(outs, []outcome{outcomeApplied, outcomeDuplicate}) {
			t.Errorf("event %s: outcomes %v, want applied then duplicate", r.ID, outs)
		}
	}
	if after := rows(t, env, "user_directory", "user_id"); !reflect.DeepEqual(before, after) {
		t.Errorf("duplicates changed the directory:\n before %+v\n after  %+v", before, after)
	}
	if n := processedCount(t, env, group); n != len(records) {
		t.Errorf("%d processed_events rows, want exactly one per event: %d", n, len(records))
	}
}

func TestRestartResumesFromTheCommittedOffset(t *testing.T) {
	t.Parallel()
	env := eventtest.New(t)
	group := kafkatest.UniqueName(t, "directory")
	first := newObserver(env.Tenant)
	stop := startProjector(t, env, group, first)
	for i := range 3 {
		env.Lifecycle(i)
	}
	waitForDirectory(t, env)
	batch1 := env.EventIDs()
	stop()

	// Written while the projector is down: they wait in Kafka.
	for i := 3; i < 5; i++ {
		env.Lifecycle(i)
	}
	second := newObserver(env.Tenant)
	startProjector(t, env, group, second)
	waitForDirectory(t, env)
	all := env.EventIDs()
	waitFor(t, "the second run to report every new event", func() bool {
		events, _ := second.count()
		return events >= len(all)-len(batch1)
	})

	for _, id := range batch1 {
		if outs := second.outcomes(id); len(outs) > 0 {
			t.Errorf("event %s of the first run was delivered again after the restart (%v)", id, outs)
		}
	}
	events, deliveries := second.count()
	if want := len(all) - len(batch1); events != want || deliveries != want {
		t.Errorf("second run handled %d events in %d deliveries, want exactly the %d new ones", events, deliveries, want)
	}
	if n := processedCount(t, env, group); n != len(all) {
		t.Errorf("%d processed_events rows, want %d", n, len(all))
	}
}
