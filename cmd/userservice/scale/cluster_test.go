//go:build scale

package scale

import (
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/google/uuid"

	"github.com/userservice/userservice/adapters/scripttest"
)

// The cluster's brokers (scripts/kafka-cluster-up.sh).
var clusterPorts = []int{25092, 25094, 25096}

func script(t *testing.T, name string, env ...string) {
	t.Helper()
	cmd := exec.Command("bash", "../../../scripts/"+name)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", name, err, out)
	}
}

func node(i int) []string {
	return []string{"KAFKA_INSTANCE=cluster-" + strconv.Itoa(i+1), "KAFKA_PORT=" + strconv.Itoa(clusterPorts[i]), "KAFKA_STOP_SECS=5"}
}

func producer(t *testing.T, brokers []string) sarama.SyncProducer {
	t.Helper()
	cfg := sarama.NewConfig()
	cfg.Producer.RequiredAcks = sarama.WaitForAll // as the relay's producer
	cfg.Producer.Return.Successes = true
	cfg.Producer.Retry.Max = 3
	cfg.Producer.Retry.Backoff = 500 * time.Millisecond
	cfg.Producer.Timeout = 5 * time.Second
	cfg.Metadata.Retry.Max = 2
	p, err := sarama.NewSyncProducer(brokers, cfg)
	if err != nil {
		t.Fatalf("producer: %v", err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

// TestThreeBrokerClusterKeepsWritesWithOneBrokerDownAndRefusesThemWithTwo:
// topics get three replicas, all in sync; acks=all writes are acknowledged
// with one broker stopped (two in sync = min.insync.replicas) and refused,
// not silently kept on one broker, with two stopped.
func TestThreeBrokerClusterKeepsWritesWithOneBrokerDownAndRefusesThemWithTwo(t *testing.T) {
	// The cluster is the machine's: one run at a time, the scale-out suite's included.
	scripttest.LockMachine(t, "scale", 30*time.Minute)
	script(t, "kafka-cluster-up.sh")
	t.Cleanup(func() { script(t, "kafka-cluster-down.sh") })
	brokers := make([]string, len(clusterPorts))
	for i, p := range clusterPorts {
		brokers[i] = "127.0.0.1:" + strconv.Itoa(p)
	}
	topic := "scale-" + uuid.NewString()

	p := producer(t, brokers)
	if _, _, err := p.SendMessage(&sarama.ProducerMessage{Topic: topic, Value: sarama.StringEncoder("all up")}); err != nil {
		t.Fatalf("write with every broker up: %v", err)
	}
	client, err := sarama.NewClient(brokers, sarama.NewConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	if err := client.RefreshMetadata(topic); err != nil {
		t.Fatal(err)
	}
	parts, err := client.Partitions(topic)
	if err != nil || len(parts) == 0 {
		t.Fatalf("partitions of %s: %v %v", topic, parts, err)
	}
	for _, part := range parts {
		replicas, _ := client.Replicas(topic, part)
		isr, _ := client.InSyncReplicas(topic, part)
		if len(replicas) != 3 || len(isr) != 3 {
			t.Fatalf("partition %d: replicas %v, in sync %v; want three of each", part, replicas, isr)
		}
	}

	script(t, "kafka-down.sh", node(1)...)
	start := time.Now()
	if _, _, err := p.SendMessage(&sarama.ProducerMessage{Topic: topic, Value: sarama.StringEncoder("one down")}); err != nil {
		t.Fatalf("acks=all write with one broker of three down: %v", err)
	}
	t.Logf("write acknowledged %s after one broker stopped", time.Since(start).Round(time.Millisecond))

	script(t, "kafka-down.sh", node(2)...)
	_, _, err = p.SendMessage(&sarama.ProducerMessage{Topic: topic, Value: sarama.StringEncoder("two down")})
	if err == nil {
		t.Fatal("acks=all write acknowledged with two brokers of three down: min.insync.replicas=2 is not in force")
	}
	t.Logf("with two brokers down the write is refused: %v", err)
}
