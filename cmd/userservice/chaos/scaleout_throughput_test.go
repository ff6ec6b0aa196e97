//go:build chaos && scalethroughput

package chaos

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestScaleThroughput measures how API commands and import rows per second
// grow from one to two replicas of the api and of the importer (make
// scale-throughput; docs/scaling.md; built only with the scalethroughput tag,
// so no test run has it to skip). It reports, it asserts nothing: figures
// are benchmark output, never a test's pass mark. Kafka is left out
// (KAFKA_BROKERS empty: events wait in the outbox), so the figures are the
// write path's: HTTP, the command handlers and PostgreSQL.
func TestScaleThroughput(t *testing.T) {
	scaleLock(t)
	dur := 20 * time.Second
	if v := os.Getenv("SCALE_THROUGHPUT_SECS"); v != "" {
		n, _ := strconv.Atoi(v)
		dur = time.Duration(max(n, 1)) * time.Second
	}
	rows := 3000
	dbURL := scaleDatabase(t)
	env := &environment{logDir: t.TempDir(), pool: poolOn(t, dbURL)}
	env.bin = filepath.Join(t.TempDir(), "userservice")
	buildBinary(t, env.bin)
	env.hooks = newWebhooks(t)
	common := append(os.Environ(), "DATABASE_URL="+dbURL, "KAFKA_BROKERS=", "MIGRATE_ON_START=false",
		"LOG_LEVEL=warn", "SHUTDOWN_TIMEOUT=5s", "API_RATE_LIMIT=-1", "SMTP_ADDR=", "HRIS_URL=")
	start := func(t *testing.T, role string, n int, extra ...string) []*proc {
		var ps []*proc
		for i := range n {
			addr := freeAddr(t)
			vars := append(append(append([]string(nil), common...), "HTTP_ADDR="+addr, "OPS_ADDR="+freeAddr(t)), extra...)
			p := startProc(t, role, env.bin, filepath.Join(t.TempDir(), fmt.Sprintf("%s-%d.log", role, i)), vars)
			p.name = addr
			ps = append(ps, p)
			if role == "api" {
				waitHTTP(t, "http://"+addr+"/healthz", time.Minute)
			}
		}
		return ps
	}
	for _, n := range []int{1, 2} {
		t.Run(fmt.Sprintf("api=%d", n), func(t *testing.T) {
			apis := start(t, "api", n, "DATABASE_MAX_CONNS=16")
			var bases []string
			for _, p := range apis {
				bases = append(bases, "http://"+p.name)
			}
			lb := newBalancer(t, bases)
			s := &scenario{t: t, env: env, tag: fmt.Sprintf("tp%d-%d", n, time.Now().UnixNano()%1e6), apiBase: lb.url}
			s.newTenant()
			cpu0, load0 := procsCPU(apis), loadAvg()
			mb0, mt0, cpus := machineCPU()
			ok, lat := drive(lb.url, s.admin, s.tag, 16, dur)
			cpu1, load1 := procsCPU(apis), loadAvg()
			mb1, mt1, _ := machineCPU()
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			p := func(q float64) time.Duration {
				if len(lat) == 0 {
					return 0
				}
				return lat[int(q*float64(len(lat)-1))].Round(100 * time.Microsecond)
			}
			fmt.Fprintf(os.Stdout, "throughput api=%d: %.0f commands/s (16 clients, %s, %d acknowledged), p50 %s p99 %s | CPU over the run: api processes %.2f cores, the machine %.2f of %d cores busy | load average %s -> %s\n",
				n, float64(ok)/dur.Seconds(), dur, ok, p(0.5), p(0.99), (cpu1-cpu0)/dur.Seconds(), busyCores(mb0, mt0, mb1, mt1, cpus), cpus, load0, load1)
			for _, a := range apis {
				a.stop()
			}
		})
	}
	for _, m := range []int{1, 2} {
		t.Run(fmt.Sprintf("importer=%d", m), func(t *testing.T) {
			api := start(t, "api", 1, "DATABASE_MAX_CONNS=8")
			importers := start(t, "importer", m, "DATABASE_MAX_CONNS=8", "IMPORT_CONSUMERS=4")
			s := &scenario{t: t, env: env, tag: fmt.Sprintf("ti%d-%d", m, time.Now().UnixNano()%1e6), apiBase: "http://" + api[0].name}
			s.newTenant()
			s.set.importRows = rows
			cpu0, load0 := procsCPU(importers), loadAvg()
			mb0, mt0, cpus := machineCPU()
			began := time.Now()
			s.startImport()
			s.waitImport()
			took := time.Since(began)
			cpu1, load1 := procsCPU(importers), loadAvg()
			mb1, mt1, _ := machineCPU()
			j := s.job()
			fmt.Fprintf(os.Stdout, "throughput importer=%d: %.0f rows/s (%d rows in %s; %d created, %d rejected) | CPU: importer processes %.2f cores, the machine %.2f of %d cores busy | load average %s -> %s\n",
				m, float64(rows)/took.Seconds(), rows, took.Round(time.Millisecond), j.Created, j.Rejected,
				(cpu1-cpu0)/took.Seconds(), busyCores(mb0, mt0, mb1, mt1, cpus), cpus, load0, load1)
			for _, p := range append(importers, api...) {
				p.stop()
			}
		})
	}
}

// drive creates users through base from clients goroutines for d and
// returns the acknowledged count and their latencies.
func drive(base, token, tag string, clients int, d time.Duration) (int, []time.Duration) {
	var mu sync.Mutex
	var lat []time.Duration
	stop := time.Now().Add(d)
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	for c := range clients {
		wg.Go(func() {
			for i := 0; time.Now().Before(stop); i++ {
				body, _ := json.Marshal(map[string]any{"email": fmt.Sprintf("%s-%d-%d@tp.test", tag, c, i), "given_name": "T", "family_name": "P"})
				req, _ := http.NewRequest(http.MethodPost, base+"/v1/users", bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+token)
				req.Header.Set("Content-Type", "application/json")
				began := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					continue
				}
				resp.Body.Close()
				if resp.StatusCode == http.StatusCreated {
					mu.Lock()
					lat = append(lat, time.Since(began))
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	return len(lat), lat
}

// procsCPU is the CPU seconds the processes used so far.
func procsCPU(ps []*proc) float64 {
	total := 0.0
	for _, p := range ps {
		p.mu.Lock()
		pid := p.cmd.Process.Pid
		p.mu.Unlock()
		total += pidCPU(pid)
	}
	return total
}

// machineCPU is the machine's busy and total CPU time so far, in jiffies
// summed over its CPUs (/proc/stat), and the CPU count: the share busy over
// a run says whether the machine, shared with everything else on it, was
// the limit. (Per-process sums miss PostgreSQL's backends that exit.)
func machineCPU() (busy, total float64, cpus int) {
	raw, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if f[0] == "cpu" {
			for i, v := range f[1:] {
				n, _ := strconv.ParseFloat(v, 64)
				total += n
				if i != 3 && i != 4 { // idle, iowait
					busy += n
				}
			}
		} else if strings.HasPrefix(f[0], "cpu") {
			cpus++
		}
	}
	return busy, total, cpus
}

// busyCores is the machine's busy CPUs between two machineCPU readings.
func busyCores(b0, t0, b1, t1 float64, cpus int) float64 {
	if t1 <= t0 {
		return 0
	}
	return (b1 - b0) / (t1 - t0) * float64(cpus)
}

// pidCPU is utime+stime of pid in seconds (USER_HZ 100).
func pidCPU(pid int) float64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(raw)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(fields) < 13 {
		return 0
	}
	u, _ := strconv.ParseFloat(fields[11], 64)
	st, _ := strconv.ParseFloat(fields[12], 64)
	return (u + st) / 100
}

// loadAvg is the 1-minute load average.
func loadAvg() string {
	raw, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(raw))
	if len(f) == 0 {
		return "?"
	}
	return f[0]
}
