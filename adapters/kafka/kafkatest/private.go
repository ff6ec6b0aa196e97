package kafkatest

import (
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/userservice/userservice/adapters/scripttest"
)

// PrivateBroker is a Kafka broker of one test package's own, started by
// scripts/kafka-up.sh with KAFKA_INSTANCE: tests that stop and restart a
// broker use one, so the shared broker every other test uses stays up.
type PrivateBroker struct {
	name       string
	port       int
	advertised int // 0 = port
}

// StartPrivateBroker starts (or finds running) the private broker NAME on
// 127.0.0.1:port (controller on port+1) and stops it when the test ends.
// The scripts install what is missing, so this works on a fresh machine;
// when they fail the test fails under CI=true and is skipped otherwise.
func StartPrivateBroker(t testing.TB, name string, port int) *PrivateBroker {
	t.Helper()
	return StartPrivateBrokerAdvertising(t, name, port, 0)
}

// StartPrivateBrokerAdvertising is StartPrivateBroker with the broker
// telling clients, after they bootstrap on port, to connect to
// 127.0.0.1:advertisedPort instead (0 = port): a test puts a TCP proxy
// there (faulttest) to stall or cut every Kafka connection at will. A broker
// of that name already running keeps the address it was started with.
func StartPrivateBrokerAdvertising(t testing.TB, name string, port, advertisedPort int) *PrivateBroker {
	t.Helper()
	b := &PrivateBroker{name: name, port: port, advertised: advertisedPort}
	// The port is the machine's, not the checkout's: a machine-wide lock on
	// it is held from start to stop, so the same test running from another
	// checkout waits instead of stopping this one's broker.
	scripttest.LockMachine(t, "private-kafka-"+strconv.Itoa(port), 30*time.Minute)
	if err := b.run("kafka-up.sh"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("private Kafka broker %s: %v", name, err)
		}
		t.Skipf("private Kafka broker %s could not start (%v); under CI=true this fails", name, err)
	}
	t.Cleanup(func() {
		if err := b.run("kafka-down.sh"); err != nil {
			t.Errorf("stop private broker %s: %v", name, err)
		}
	})
	return b
}

// Brokers is the broker list of the private broker.
func (b *PrivateBroker) Brokers() []string {
	return []string{"127.0.0.1:" + strconv.Itoa(b.port)}
}

// Stop stops the broker (controlled shutdown, SIGKILL after 20 s).
func (b *PrivateBroker) Stop(t testing.TB) {
	t.Helper()
	if err := b.run("kafka-down.sh"); err != nil {
		t.Fatalf("stop private broker %s: %v", b.name, err)
	}
}

// Start starts the broker again and waits until it answers metadata.
func (b *PrivateBroker) Start(t testing.TB) {
	t.Helper()
	if err := b.run("kafka-up.sh"); err != nil {
		t.Fatalf("start private broker %s: %v", b.name, err)
	}
}

func (b *PrivateBroker) run(script string) error {
	env := []string{"KAFKA_INSTANCE=" + b.name, "KAFKA_PORT=" + strconv.Itoa(b.port)}
	if b.advertised != 0 {
		env = append(env, "KAFKA_ADVERTISED_PORT="+strconv.Itoa(b.advertised))
	}
	return scripttest.Run(script, env...)
}
