//go:build scale

package relay

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/userservice/userservice/adapters/postgres/pgtest"
	"github.com/userservice/userservice/adapters/scripttest"
)

// The three-broker cluster of scripts/kafka-cluster-up.sh (make kafka-cluster).
var clusterPorts = []int{25092, 25094, 25096}

func clusterNode(i int) []string {
	return []string{"KAFKA_INSTANCE=cluster-" + strconv.Itoa(i+1), "KAFKA_PORT=" + strconv.Itoa(clusterPorts[i]), "KAFKA_STOP_SECS=5"}
}

// TestLeaderChangesUnderLoadKeepEveryUsersOrder runs the relay against the
// three-broker cluster (replication factor 3, min.insync.replicas=2) while
// commands keep writing, and stops each broker in turn, then starts it
// again: the partitions it led get a new leader each time, with records of
// the relay's pipelined batches in flight. Every event reaches Kafka at
// least once, and each user's events first arrive in version order,
// nothing missing. Three JVMs on a small machine: not part of make test
// (make kafka-cluster-test runs it).
func TestLeaderChangesUnderLoadKeepEveryUsersOrder(t *testing.T) {
	// The cluster's ports are the machine's: the lock the scale tests take
	// for it keeps another checkout's run from stopping this one's brokers.
	scripttest.LockMachine(t, "scale", 30*time.Minute)
	if err := scripttest.Run("kafka-cluster-up.sh"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("three-broker cluster: %v", err)
		}
		t.Skipf("three-broker cluster could not start (%v); under CI=true this fails", err)
	}
	t.Cleanup(func() {
		if err := scripttest.Run("kafka-cluster-down.sh"); err != nil {
			t.Errorf("stop the cluster: %v", err)
		}
	})
	// A database of its own: a transaction another package's test leaves
	// open in the shared test database holds every relay there back (gap
	// safety), for minutes, which this long test cannot sit out.
	t.Setenv("TEST_DATABASE_URL", privateDatabase(t, "userservice_test_relay_cluster"))
	brokers := make([]string, len(clusterPorts))
	for i, p := range clusterPorts {
		brokers[i] = "127.0.0.1:" + strconv.Itoa(p)
	}
	h := newHarnessWith(t, brokers, 3, 10*time.Minute) // every partition on all three brokers
	stop := h.startRelay(Config{BatchSize: 200, RetryInterval: 50 * time.Millisecond, MaxRetryInterval: time.Second})
	defer stop()

	ctx, stopWriting := context.WithCancel(h.ctx)
	var wg sync.WaitGroup
	wg.Go(func() { h.writeUntil(ctx, 10) })
	moved := 0
	for i := range clusterPorts {
		time.Sleep(time.Second)
		before := leaders(t, brokers, h.topic)
		must(t, scripttest.Run("kafka-down.sh", clusterNode(i)...))
		time.Sleep(2 * time.Second) // writes while the node is away, on the new leaders
		after := leaders(t, brokers, h.topic)
		for p, l := range before {
			if after[p] != l && after[p] != -1 {
				moved++ // a new leader on another broker, not a partition left without one
			}
		}
		t.Logf("node %d stopped: partition leaders %v -> %v", i+1, before, after)
		// Starts the stopped node and waits for all three. A node coming
		// back quickly may be refused once by the controller ("the given
		// epoch did not match the current broker epoch"): try again.
		if err := scripttest.Run("kafka-cluster-up.sh"); err != nil {
			t.Logf("restart node %d: %v; again in 5 s", i+1, err)
			time.Sleep(5 * time.Second)
			must(t, scripttest.Run("kafka-cluster-up.sh"))
		}
	}
	time.Sleep(time.Second) // writes after the last change too
	stopWriting()
	wg.Wait()
	if moved == 0 {
		t.Fatal("no partition changed leader: the test proved nothing")
	}

	want := h.written()
	events := 0
	for _, ids := range want {
		events += len(ids)
	}
	// Read with franz-go: sarama's consumer, which the other tests use,
	// stalled on this cluster after the leader changes (the topic held every
	// event; it read a third of them in two minutes).
	all := readTopicFranz(t, brokers, h.topic, 2*time.Minute, func(got []record) bool { return allOf(want)(h.ofTenant(got)) })
	got := h.ofTenant(all)
	if !allOf(want)(got) {
		h.logRelayState()
		logTopicState(t, brokers, h.topic, all, want, got)
	}
	dups := checkDelivered(t, want, got)
	t.Logf("%d users, %d events, %d records (%d duplicates), %d leader changes", len(want), events, len(got), dups, moved)
	if events < 100 {
		t.Errorf("only %d events written: the load is too light to prove anything", events)
	}
}

// leaders returns each partition's leader (broker id) as the cluster's
// metadata says now; -1 for a partition in the middle of an election.
func leaders(t *testing.T, brokers []string, topic string) map[int32]int32 {
	t.Helper()
	cfg := sarama.NewConfig()
	cfg.Metadata.Retry.Max = 10
	cfg.Metadata.Retry.Backoff = 200 * time.Millisecond
	client, err := sarama.NewClient(brokers, cfg)
	must(t, err)
	defer client.Close()
	_ = client.RefreshMetadata(topic) // "no leader" while one is elected: that partition reads -1
	out := map[int32]int32{}
	for p := range int32(4) { // kafkatest.Topic(..., 4)
		out[p] = -1
		if l, err := client.Leader(topic, p); err == nil {
			out[p] = l.ID()
		}
	}
	return out
}

// privateDatabase creates the database name beside the shared test
// database unless it exists, and returns its URL (pgtest.Pool migrates it).
func privateDatabase(t *testing.T, name string) string {
	t.Helper()
	base := pgtest.URL()
	conn, err := pgx.Connect(t.Context(), base)
	if err != nil {
		pgtest.Unavailable(t, "PostgreSQL", err)
	}
	defer conn.Close(t.Context())
	_, err = conn.Exec(t.Context(), "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	var pgErr *pgconn.PgError
	if err != nil && !(errors.As(err, &pgErr) && (pgErr.Code == "42P04" || pgErr.Code == "23505")) {
		t.Fatalf("create database %s: %v", name, err)
	}
	u, err := url.Parse(base)
	must(t, err)
	u.Path = "/" + name
	return u.String()
}

// logTopicState logs, for a test that waited in vain, each partition's
// high-water mark against the records read from it (all tenants'), and
// which users' events are missing: records Kafka holds but the reader did
// not get, or records never written.
func logTopicState(t *testing.T, brokers []string, topic string, all []record, want map[string][]string, got []record) {
	t.Helper()
	client, err := sarama.NewClient(brokers, sarama.NewConfig())
	if err != nil {
		t.Logf("topic state: %v", err)
		return
	}
	defer client.Close()
	var total int64
	for p := range int32(4) {
		hwm, err := client.GetOffset(topic, p, sarama.OffsetNewest)
		t.Logf("partition %d: high-water mark %d (%v)", p, hwm, err)
		total += hwm
	}
	t.Logf("records in the topic %d, read %d", total, len(all))
	seen := map[string]bool{}
	for _, r := range got {
		seen[r.envelope.ID] = true
	}
	for userID, ids := range want {
		missing := 0
		first := -1
		for i, id := range ids {
			if !seen[id] {
				missing++
				if first < 0 {
					first = i + 1
				}
			}
		}
		if missing > 0 {
			t.Logf("user %s: %d of %d events missing, the first version %d", userID, missing, len(ids), first)
		}
	}
}

// readTopicFranz reads the topic from its start with a franz-go consumer
// until done says enough or the timeout passes.
func readTopicFranz(t *testing.T, brokers []string, topic string, timeout time.Duration, done func([]record) bool) []record {
	t.Helper()
	client, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	must(t, err)
	defer client.Close()
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	var got []record
	for ctx.Err() == nil && !done(got) {
		fetches := client.PollFetches(ctx)
		fetches.EachError(func(topic string, p int32, err error) {
			if ctx.Err() == nil {
				t.Logf("fetch %s/%d: %v", topic, p, err)
			}
		})
		fetches.EachRecord(func(m *kgo.Record) {
			r := record{key: string(m.Key), headers: map[string]string{}, raw: m.Value}
			for _, hd := range m.Headers {
				r.headers[hd.Key] = string(hd.Value)
			}
			if err := json.Unmarshal(m.Value, &r.envelope); err != nil {
				t.Errorf("record is not a CloudEvents envelope: %v: %s", err, m.Value)
			}
			got = append(got, r)
		})
	}
	return got
}
