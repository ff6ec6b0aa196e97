package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// cpuSnapshot is the CPU time used so far by the machine and by each part of
// the benchmark, so a window's CPU budget (on a 2-core machine, the usual
// bottleneck) can be split between the service, PostgreSQL, Kafka and the
// load generator.
type cpuSnapshot struct {
	at          time.Time
	busy, total int64 // machine jiffies, all CPUs
	service     time.Duration
	loadgen     time.Duration // userbench itself and pgbench
	kafka       time.Duration
	// postgres is by process: the benchmark database's backends and the
	// server's background processes (WAL writer, checkpointer...), not
	// other databases' backends (the machine is shared).
	postgres map[int]time.Duration
}

// cpuUse is the difference of two snapshots, in cores (1.0 = one CPU busy
// for the whole window).
type cpuUse struct {
	Machine  float64 // fraction of all CPUs busy
	CPUs     int
	Service  float64
	Postgres float64
	Kafka    float64
	Loadgen  float64
}

// snapshotCPU reads /proc. servicePid may be 0 (no service process).
func (b *bench) snapshotCPU(servicePid int) cpuSnapshot {
	s := cpuSnapshot{at: time.Now(), loadgen: procCPU(os.Getpid()), postgres: map[int]time.Duration{}}
	if data, err := os.ReadFile("/proc/stat"); err == nil {
		line, _, _ := strings.Cut(string(data), "\n")
		f := strings.Fields(line)
		for i, v := range f[1:] {
			n, _ := strconv.ParseInt(v, 10, 64)
			s.total += n
			if i != 3 && i != 4 { // idle, iowait
				s.busy += n
			}
		}
	}
	if servicePid > 0 {
		s.service = procCPU(servicePid)
	}
	if pid, err := os.ReadFile(filepath.Join(b.opts.repo, ".cache/kafka/kafka.pid")); err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(string(pid))); err == nil {
			s.kafka = procCPU(n)
		}
	}
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		comm, err := os.ReadFile(d + "/comm")
		if err != nil {
			continue
		}
		n, err := strconv.Atoi(filepath.Base(d))
		if err != nil {
			continue
		}
		switch strings.TrimSpace(string(comm)) {
		case "postgres":
			if b.ownPostgres(d) {
				s.postgres[n] = procCPU(n)
			}
		case "pgbench":
			s.loadgen += procCPU(n)
		}
	}
	return s
}

// ownPostgres tells the benchmark database's backends and the background
// processes from other databases' client backends, by process title
// ("postgres: 15/main: user db 127.0.0.1(port) state").
func (b *bench) ownPostgres(procDir string) bool {
	title, err := os.ReadFile(procDir + "/cmdline")
	if err != nil {
		return false
	}
	t := string(title)
	if strings.Contains(t, " "+b.opts.benchDB+" ") {
		return true
	}
	return !strings.Contains(t, "127.0.0.1(") && !strings.Contains(t, "[local]") && !strings.Contains(t, "::1(")
}

// since is the CPU used between s0 and s.
func (s cpuSnapshot) since(s0 cpuSnapshot, cpus int) cpuUse {
	wall := s.at.Sub(s0.at)
	if wall <= 0 {
		return cpuUse{}
	}
	cores := func(d time.Duration) float64 { return d.Seconds() / wall.Seconds() }
	// A backend that started in the window counts from zero; one that
	// ended in it is missed, which is why windows end before the load does.
	var pg time.Duration
	for pid, t := range s.postgres {
		pg += t - s0.postgres[pid]
	}
	u := cpuUse{CPUs: cpus, Service: cores(s.service - s0.service), Postgres: cores(pg),
		Kafka: cores(s.kafka - s0.kafka), Loadgen: cores(s.loadgen - s0.loadgen)}
	if dt := s.total - s0.total; dt > 0 {
		u.Machine = float64(s.busy-s0.busy) / float64(dt)
	}
	return u
}

// String is the budget as "machine 93% busy: service 0.61, postgres 0.92, ...".
func (u cpuUse) String() string {
	if u.CPUs == 0 {
		return "—"
	}
	return fmt.Sprintf("%.0f%% of %d CPUs; service %.2f, postgres (this db) %.2f, kafka %.2f, load generator %.2f cores",
		100*u.Machine, u.CPUs, u.Service, u.Postgres, u.Kafka, u.Loadgen)
}

// average is the mean of the windows' budgets.
func averageUse(us []cpuUse) cpuUse {
	var out cpuUse
	n := 0
	for _, u := range us {
		if u.CPUs == 0 {
			continue
		}
		n++
		out.CPUs = u.CPUs
		out.Machine += u.Machine
		out.Service += u.Service
		out.Postgres += u.Postgres
		out.Kafka += u.Kafka
		out.Loadgen += u.Loadgen
	}
	if n == 0 {
		return out
	}
	f := float64(n)
	out.Machine, out.Service, out.Postgres, out.Kafka, out.Loadgen = out.Machine/f, out.Service/f, out.Postgres/f, out.Kafka/f, out.Loadgen/f
	return out
}
