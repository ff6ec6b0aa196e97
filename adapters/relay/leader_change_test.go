//go:build scale

package relay

import (
	"context"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/userservice/userservice/adapters/scripttest"
)

// The three-broker cluster of scripts/kafka-cluster-up.sh (make kafka-cluster).
var clusterPorts = []int{39092, 39094, 39096}

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
		must(t, scripttest.Run("kafka-cluster-up.sh")) // starts the stopped node, waits for all three
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
	got := h.ofTenant(h.readTopic(2*time.Minute, allOf(want)))
	if !allOf(want)(got) {
		h.logRelayState()
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
