//go:build chaos

package chaos

import (
	"bufio"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/userservice/userservice/adapters/scripttest"
)

// clusterPorts are the brokers of scripts/kafka-cluster-up.sh.
var clusterPorts = []int{25092, 25094, 25096}

// shardCount is the outbox's shards (RELAY_SHARDS 0..3), all of which each
// relay of the fleet serves: one owns them, the other stands by.
const shardCount = 4

// scaleFault is one disruption of the fleet; inject returns once healed.
type scaleFault struct {
	name   string
	inject func(ph *phase, r *result)
}

// scaleFaultNames is the order make scale runs them in.
var scaleFaultNames = []string{"kill-broker", "kill-api", "kill-importer", "kill-relay", "kill-directory"}

var scaleFaults = map[string]scaleFault{
	"kill-broker":    {"kill-broker", func(ph *phase, r *result) { r.brokerBack = ph.f.killBroker(ph.s.t) }},
	"kill-api":       {"kill-api", func(ph *phase, _ *result) { ph.f.killRestart(ph.s.t, "api") }},
	"kill-importer":  {"kill-importer", func(ph *phase, _ *result) { ph.f.killRestart(ph.s.t, "importer") }},
	"kill-relay":     {"kill-relay", func(ph *phase, r *result) { r.takeover = ph.f.killActiveRelay(ph.s.t) }},
	"kill-directory": {"kill-directory", func(ph *phase, _ *result) { ph.f.killRestart(ph.s.t, "directory") }},
}

// killRestart kills the role's first process with SIGKILL mid-work and,
// after a moment with its peer alone, starts it again.
func (f *fleet) killRestart(t *testing.T, role string) {
	t.Helper()
	p := f.procs[role][0]
	p.kill(t)
	time.Sleep(3 * time.Second) // the peer carries the load alone
	p.restart(t)
	waitReady(t, p.name, f.ops[p], time.Minute)
}

// killActiveRelay kills the relay that owns the most shards and returns
// how long its standby took to own every shard.
func (f *fleet) killActiveRelay(t *testing.T) time.Duration {
	t.Helper()
	relays := f.procs["relay"]
	active, standby, most := relays[0], relays[1], -1
	for i, p := range relays {
		if n := f.owned(p); n > most {
			active, standby, most = p, relays[1-i], n
		}
	}
	t.Logf("killing %s (owns %d shards); %s stands by", active.name, most, standby.name)
	killed := time.Now()
	active.kill(t)
	takeover := f.waitOwned(t, standby, shardCount, time.Minute)
	took := takeover.Sub(killed)
	t.Logf("%s owns every shard %s after the kill", standby.name, took.Round(time.Millisecond))
	active.restart(t)
	waitReady(t, active.name, f.ops[active], time.Minute)
	return took
}

// killBroker kills the second broker with SIGKILL, lets the load run on
// two for a while (min.insync.replicas=2: writes go on), starts it again and
// returns how long the cluster was without it.
func (f *fleet) killBroker(t *testing.T) time.Duration {
	t.Helper()
	pidFile := filepath.Join(repoRoot(t), ".cache", "kafka-cluster-2", "kafka.pid")
	raw, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatalf("broker 2's pid: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	if err != nil {
		t.Fatalf("broker 2's pid file %s: %q", pidFile, raw)
	}
	killed := time.Now()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill -9 broker 2 (pid %d): %v", pid, err)
	}
	time.Sleep(10 * time.Second)
	if err := scripttest.Run("kafka-cluster-up.sh"); err != nil {
		t.Fatalf("restart broker 2: %v", err)
	}
	f.waitInSync(t, time.Minute)
	return time.Since(killed)
}

// waitInSync waits until every partition of the topic has three in-sync
// replicas again.
func (f *fleet) waitInSync(t *testing.T, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		client, err := sarama.NewClient(f.brokers, sarama.NewConfig())
		ok := err == nil
		if ok {
			ok = client.RefreshMetadata(f.topic) == nil
			parts, _ := client.Partitions(f.topic)
			for _, p := range parts {
				isr, _ := client.InSyncReplicas(f.topic, p)
				ok = ok && len(isr) == 3
			}
			client.Close()
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the topic's partitions not three in sync within %s", timeout)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// owned is how many shards the relay says it owns (0 when it does not answer).
func (f *fleet) owned(p *proc) int {
	m, err := scrape(f.ops[p])
	if err != nil {
		return 0
	}
	n := 0
	for k, v := range m {
		if strings.HasPrefix(k, "userservice_relay_shard_owned{") && v == 1 {
			n++
		}
	}
	return n
}

// waitOwned waits until the relay owns n shards and returns when it did.
func (f *fleet) waitOwned(t *testing.T, p *proc, n int, timeout time.Duration) time.Time {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for f.owned(p) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%s owns %d shards after %s, want %d", p.name, f.owned(p), timeout, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return time.Now()
}

// scrape reads base's /metrics into "name{labels}" -> value.
func scrape(base string) (map[string]float64, error) {
	client := &http.Client{Timeout: 2 * time.Second}
	resp, err := client.Get(base + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s/metrics: %d", base, resp.StatusCode)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		if v, err := strconv.ParseFloat(line[i+1:], 64); err == nil {
			out[line[:i]] = v
		}
	}
	return out, sc.Err()
}

// repoRoot is the checkout's root (this package is three levels down).
func repoRoot(t *testing.T) string {
	t.Helper()
	abs, err := filepath.Abs(filepath.Join("..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return abs
}
