//go:build chaos

package chaos

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/userservice/userservice/adapters/postgres"

	"github.com/userservice/userservice/adapters/postgres/pgtest"
	"github.com/userservice/userservice/adapters/relay/relaytest"
	"github.com/userservice/userservice/adapters/scripttest"
)

// The scale-out suite (make scale; make test runs its short form): every
// role replicated as processes of the real binary, on the three-broker
// Kafka cluster (scripts/kafka-cluster-up.sh) and the shared PostgreSQL with
// its streaming replica (scripts/postgres-replica-up.sh). The fleet is
// started once; each fault is one phase on a fresh tenant (API writes
// through a round-robin balancer over the apis, a CSV import, list reads on
// the replica, the HRIS sync ticking beside), and after each phase the
// chaos suite's own invariant checks run (scenario.check), followed by the
// HRIS checks, the relay's takeover time and the replica's lag.

// scaleReplicas is how many processes each role runs.
var scaleReplicas = map[string]int{"api": 2, "importer": 2, "relay": 2, "directory": 2, "notifier": 2, "hris-sync": 2}

// scaleRoles is the fleet's start order: the relays first, so that one of
// them takes every shard and the other stands by.
var scaleRoles = []string{"relay", "api", "importer", "directory", "notifier", "hris-sync"}

// scaleSettings are the suite's knobs (make scale sets the full form).
type scaleSettings struct {
	settings
	// listers read lists through the balancer during each phase.
	listers int
}

func loadScaleSettings(t *testing.T) scaleSettings {
	t.Helper()
	s := scaleSettings{settings: settings{faults: []string{"kill-relay"}, rounds: 1, workers: 3, maxOps: 2000, importRows: 400}, listers: 1}
	if v := os.Getenv("SCALE_FAULTS"); v != "" {
		s.faults = nil
		for _, f := range strings.Split(v, ",") {
			if f = strings.TrimSpace(f); f == "all" {
				s.faults = append(s.faults, scaleFaultNames...)
			} else if f != "" {
				s.faults = append(s.faults, f)
			}
		}
	}
	for _, f := range s.faults {
		if _, ok := scaleFaults[f]; !ok {
			t.Fatalf("SCALE_FAULTS: unknown fault %q; known: %s, all", f, strings.Join(scaleFaultNames, ", "))
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
	num("SCALE_WORKERS", &s.workers)
	num("SCALE_IMPORT_ROWS", &s.importRows)
	num("SCALE_LISTERS", &s.listers)
	return s
}

// fleet is the replicated processes and what they run on.
type fleet struct {
	env        *environment
	brokers    []string
	topic      string
	group      string
	primaryURL string
	readURL    string
	lb         *balancer
	hris       *hrisServer
	procs      map[string][]*proc
	ops        map[*proc]string // each process's operations listener
	apis       map[*proc]string // each api's HTTP base
}

// TestScaleOut starts the fleet and runs each configured fault
// (SCALE_FAULTS, default the short form: kill-relay) as a phase, checking
// every invariant after it and printing the figures.
func TestScaleOut(t *testing.T) {
	set := loadScaleSettings(t)
	f := newFleet(t)
	var total figures
	var failed []string
	start := time.Now()
	for _, name := range set.faults {
		ok := t.Run(name, func(t *testing.T) {
			ph := f.newPhase(t, set)
			r := ph.run(scaleFaults[name])
			ph.s.check()
			f.checkHRIS(t)
			r.lag = f.replicaLag(t, ph)
			fmt.Fprintf(os.Stdout, "scale %-15s %s\nscale %-15s %s\n", name, ph.s.fig, name, r)
			total.add(ph.s.fig)
		})
		if !ok {
			failed = append(failed, name)
		}
	}
	total.crashes += f.crashes(t)
	fmt.Fprintf(os.Stdout, "scale TOTAL (%s, %s): %s\n", strings.Join(set.faults, ","), time.Since(start).Round(time.Second), total)
	if len(failed) > 0 {
		fmt.Fprintf(os.Stdout, "scale FAILED: %s\n", strings.Join(failed, ", "))
	}
}

// newFleet starts the cluster, the replica and every process.
func newFleet(t *testing.T) *fleet {
	t.Helper()
	scaleLock(t)
	t.Setenv("KAFKA_WAIT_SECS", "420")
	f := &fleet{procs: map[string][]*proc{}, ops: map[*proc]string{}, apis: map[*proc]string{}}
	f.env = &environment{logDir: t.TempDir()}
	if d := os.Getenv("SCALE_LOG_DIR"); d != "" {
		f.env.logDir = d
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	primaryURL := scaleDatabase(t)
	pool := poolOn(t, primaryURL)
	f.env.pool = pool
	f.env.bin = filepath.Join(t.TempDir(), "userservice")
	buildBinary(t, f.env.bin)
	if err := scripttest.Run("postgres-replica-up.sh"); err != nil {
		pgtest.Unavailable(t, "the PostgreSQL read replica (scripts/postgres-replica-up.sh)", err)
	}
	u, _ := url.Parse(primaryURL)
	u.Host = u.Hostname() + ":5434"
	f.readURL = u.String()
	f.primaryURL = primaryURL
	began := time.Now()
	if err := scripttest.Run("kafka-cluster-up.sh"); err != nil {
		pgtest.Unavailable(t, "the three-broker Kafka cluster (scripts/kafka-cluster-up.sh)", err)
	}
	t.Logf("three-broker cluster up in %s", time.Since(began).Round(time.Second))
	if os.Getenv("SCALE_KEEP_CLUSTER") != "1" {
		t.Cleanup(func() {
			if err := scripttest.Run("kafka-cluster-down.sh"); err != nil {
				t.Logf("stopping the cluster: %v", err)
			}
		})
	}
	for _, p := range clusterPorts {
		f.brokers = append(f.brokers, "127.0.0.1:"+strconv.Itoa(p))
	}
	f.topic = clusterTopic(t, f.brokers)
	f.group = "relay-scale-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	relaytest.StartGroupAtEnd(t, pool, f.group)
	f.env.hooks = newWebhooks(t)
	f.hris = newHRISServer(t, 60)
	f.startAll(t)
	return f
}

// startAll starts every role's replicas and waits until each is ready.
func (f *fleet) startAll(t *testing.T) {
	t.Helper()
	hrisTenant := f.hris.tenant(t, f.env.pool)
	common := append(os.Environ(),
		"DATABASE_URL="+f.primaryURL, "KAFKA_BROKERS="+strings.Join(f.brokers, ","), "KAFKA_TOPIC="+f.topic,
		"RELAY_CONSUMER_GROUP="+f.group, "MIGRATE_ON_START=false", "LOG_LEVEL=warn", "SHUTDOWN_TIMEOUT=5s",
		"API_RATE_LIMIT=-1", "SMTP_ADDR=", "NOTIFY_LEASE=10s", "WEBHOOK_ALLOW_INTERNAL=true", "IMPORT_CONSUMERS=2", "READINESS_CACHE=0",
		"HRIS_URL="+f.hris.srv.URL+"/employees", "HRIS_TOKEN=scale-hris-token", "HRIS_TENANT_ID="+hrisTenant,
		"HRIS_SCHEDULE=* * * * *")
	t.Cleanup(func() {
		if t.Failed() {
			f.dumpLogs(t)
		}
	})
	var bases []string
	for _, role := range scaleRoles {
		for i := range scaleReplicas[role] {
			env := append([]string(nil), common...)
			ops := freeAddr(t)
			env = append(env, "OPS_ADDR="+ops, "HTTP_ADDR="+freeAddr(t), "DATABASE_MAX_CONNS=4")
			if role == "api" {
				env = append(env, "DATABASE_MAX_CONNS=8", "DATABASE_READ_URL="+f.readURL)
			}
			name := fmt.Sprintf("%s-%d", role, i+1)
			p := startProc(t, role, f.env.bin, filepath.Join(f.env.logDir, name+".log"), env)
			p.name = name
			f.procs[role] = append(f.procs[role], p)
			f.ops[p] = "http://" + ops
			if role == "api" {
				f.apis[p] = "http://" + httpAddr(env)
				bases = append(bases, f.apis[p])
			}
			waitReady(t, p.name, f.ops[p], time.Minute)
			if role == "relay" && i == 0 {
				// The first relay takes every shard before its standby starts.
				f.waitOwned(t, p, shardCount, 30*time.Second)
			}
		}
	}
	f.lb = newBalancer(t, bases)
}

// httpAddr is the last HTTP_ADDR in env.
func httpAddr(env []string) string {
	addr := ""
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "HTTP_ADDR="); ok {
			addr = v
		}
	}
	return addr
}

// crashes adds up the processes' unexpected exits, logging each.
func (f *fleet) crashes(t *testing.T) int {
	n := 0
	for _, ps := range f.procs {
		for _, p := range ps {
			c, errs := p.crashReport()
			n += c
			for _, e := range errs {
				t.Logf("supervisor: %s", e)
			}
		}
	}
	return n
}

// dumpLogs prints the tail of every process log of a failed run.
func (f *fleet) dumpLogs(t *testing.T) {
	for _, ps := range f.procs {
		for _, p := range ps {
			b, err := os.ReadFile(filepath.Join(f.env.logDir, p.name+".log"))
			if err != nil {
				continue
			}
			if len(b) > 3000 {
				b = b[len(b)-3000:]
			}
			t.Logf("---- %s log (tail):\n%s", p.name, b)
		}
	}
}

// poolOn opens a pool on url for the test.
func poolOn(t *testing.T, url string) *pgxpool.Pool {
	t.Helper()
	p, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// scaleLock serialises the scale runs on this machine: the cluster's ports
// and the replica are the machine's, whichever checkout runs the suite.
func scaleLock(t *testing.T) {
	t.Helper()
	scripttest.LockMachine(t, "scale", 30*time.Minute)
}

// buildBinary builds the service's binary to path.
func buildBinary(t *testing.T, path string) {
	t.Helper()
	if out, err := exec.Command("go", "build", "-o", path, "github.com/userservice/userservice/cmd/userservice").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
}

// waitReady waits until the process's /readyz answers 200, naming the
// failed checks if it does not in time.
func waitReady(t *testing.T, name, ops string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	last := ""
	for {
		resp, err := http.Get(ops + "/readyz")
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
			last = fmt.Sprintf("%d %s", resp.StatusCode, body)
		} else {
			last = err.Error()
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready within %s: %s", name, timeout, last)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// scaleDatabase creates (once) and migrates the suite's own database on the
// shared primary, and returns its URL; the replica streams it like every
// other. Not the tests' shared database: the relay holds back outbox rows
// behind any transaction open in its database (README, the relay), and
// other packages' tests hold some there for as long as they like (one idle
// in a transaction for minutes stalled every relay of the fleet).
func scaleDatabase(t *testing.T) string {
	t.Helper()
	base := pgtest.Pool(t) // the shared primary is reachable (or the test fails under CI)
	u, err := url.Parse(pgtest.URL())
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/userservice_scale"
	ctx := context.Background()
	var exists bool
	if err := base.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'userservice_scale')`).Scan(&exists); err != nil {
		t.Fatal(err)
	}
	if !exists {
		if _, err := base.Exec(ctx, `CREATE DATABASE userservice_scale`); err != nil {
			var pgErr *pgconn.PgError
			if !errors.As(err, &pgErr) || (pgErr.Code != "42P04" && pgErr.Code != "23505") {
				t.Fatalf("create the scale database: %v", err)
			}
		}
	}
	pool := poolOn(t, u.String())
	if _, err := postgres.Migrate(ctx, pool); err != nil {
		t.Fatalf("migrate the scale database: %v", err)
	}
	return u.String()
}
