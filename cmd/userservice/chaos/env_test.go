//go:build chaos

package chaos

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/IBM/sarama"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/userservice/userservice/adapters/faulttest"
	"github.com/userservice/userservice/adapters/kafka/kafkatest"
	"github.com/userservice/userservice/adapters/postgres/pgtest"
)

// Private instances: the shared PostgreSQL (5432) and Kafka (9092) are never
// stopped by this suite. 29092 belongs to another suite's private broker.
const (
	pgInstance    = "chaos"
	pgPort        = 5433
	kafkaInstance = "chaos"
	kafkaPort     = 19092
	// kafkaProxyPort is where the broker tells clients to connect after
	// bootstrap: the suite's proxy, forwarding to kafkaPort (19093 is the
	// broker's controller).
	kafkaProxyPort = 19095
)

// settings are the suite's knobs, from the environment (make chaos sets
// the full form; the defaults are the short form make test runs).
type settings struct {
	faults     []string
	rounds     int
	workers    int
	maxOps     int
	importRows int
}

func loadSettings(t *testing.T) settings {
	t.Helper()
	s := settings{faults: []string{"kill-api", "pg-stall", "kill-importer-mid-chunk"}, rounds: 1, workers: 4, maxOps: 3000, importRows: 1000}
	if v := os.Getenv("CHAOS_FAULTS"); v != "" {
		s.faults = nil
		for _, f := range strings.Split(v, ",") {
			if f = strings.TrimSpace(f); f == "all" {
				s.faults = append(s.faults, faultNames()...)
			} else if f != "" {
				s.faults = append(s.faults, f)
			}
		}
	}
	for _, f := range s.faults {
		if _, ok := faults[f]; !ok {
			t.Fatalf("CHAOS_FAULTS: unknown fault %q; known: %s, all", f, strings.Join(faultNames(), ", "))
		}
	}
	num := func(name string, v *int) {
		if raw := os.Getenv(name); raw != "" {
			n, err := strconv.Atoi(raw)
			if err != nil || n < 1 {
				t.Fatalf("%s=%q: want a positive number", name, raw)
			}
			*v = n
		}
	}
	num("CHAOS_ROUNDS", &s.rounds)
	num("CHAOS_WORKERS", &s.workers)
	num("CHAOS_MAX_OPS", &s.maxOps)
	num("CHAOS_IMPORT_ROWS", &s.importRows)
	return s
}

// environment is what every scenario shares: the private PostgreSQL behind
// a controllable proxy, the private Kafka broker, the built binary, a
// webhook receiver and a pool for the checks (straight to PostgreSQL).
type environment struct {
	pg      *pgtest.PrivateCluster
	broker  *kafkatest.PrivateBroker
	pgProxy *faulttest.Proxy
	// kafkaProxy carries every Kafka connection but the bootstrap one.
	kafkaProxy *faulttest.Proxy
	pool       *pgxpool.Pool
	bin        string
	hooks      *webhooks
	logDir     string
}

func newEnvironment(t *testing.T) *environment {
	t.Helper()
	lockMachine(t) // first: its cleanup runs last
	// On a loaded machine a broker restart took over the scripts' default
	// 180 s (its controller reported 16 s events); the faults wait longer.
	t.Setenv("KAFKA_WAIT_SECS", "420")
	t.Setenv("PG_WAIT_SECS", "120")
	e := &environment{logDir: t.TempDir()}
	if d := os.Getenv("CHAOS_LOG_DIR"); d != "" {
		e.logDir = d
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	e.bin = filepath.Join(t.TempDir(), "userservice")
	if out, err := exec.Command("go", "build", "-o", e.bin, "github.com/userservice/userservice/cmd/userservice").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	e.pg = pgtest.StartPrivateCluster(t, pgInstance, pgPort)
	e.kafkaProxy = faulttest.StartOn(t, "127.0.0.1:"+strconv.Itoa(kafkaProxyPort), "127.0.0.1:"+strconv.Itoa(kafkaPort))
	e.broker = kafkatest.StartPrivateBrokerAdvertising(t, kafkaInstance, kafkaPort, kafkaProxyPort)
	if addr := advertised(t, e.broker.Brokers()); addr != e.kafkaProxy.Addr() {
		// Left running by an earlier run with another address: restart it.
		t.Logf("the private broker advertises %s, not the proxy %s: restarting it", addr, e.kafkaProxy.Addr())
		e.broker.Stop(t)
		e.broker.Start(t)
		if addr := advertised(t, e.broker.Brokers()); addr != e.kafkaProxy.Addr() {
			t.Fatalf("the private broker on %d advertises %s, want the proxy %s: another checkout's broker "+
				"(left by an interrupted run) holds the port; stop it there with "+
				"KAFKA_INSTANCE=%s KAFKA_PORT=%d bash scripts/kafka-down.sh", kafkaPort, addr, e.kafkaProxy.Addr(),
				kafkaInstance, kafkaPort)
		}
	}
	e.pgProxy = faulttest.Start(t, "127.0.0.1:"+strconv.Itoa(pgPort))
	pool, err := pgxpool.New(context.Background(), e.pg.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	e.pool = pool
	e.hooks = newWebhooks(t)
	return e
}

// advertised is the address the broker tells clients to use.
func advertised(t *testing.T, bootstrap []string) string {
	t.Helper()
	client, err := sarama.NewClient(bootstrap, sarama.NewConfig())
	if err != nil {
		t.Fatalf("kafka client on %v: %v", bootstrap, err)
	}
	defer client.Close()
	brokers := client.Brokers()
	if len(brokers) != 1 {
		t.Fatalf("the private broker's metadata lists %d brokers, want 1", len(brokers))
	}
	return brokers[0].Addr()
}

// freeAddr is a loopback address nothing listens on right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
