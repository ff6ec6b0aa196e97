package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// machine describes where and on what the figures were measured.
type machine struct {
	CPUs       int
	CPUModel   string
	MemoryGiB  string
	Kernel     string
	Postgres   string
	PGSettings string
	Kafka      string
	Pgbench    string
	Go         string
	Commit     string
	LoadStart  string
	LoadEnd    string
}

func (b *bench) describeMachine(ctx context.Context) machine {
	m := machine{CPUs: runtime.NumCPU(), Go: runtime.Version(), LoadStart: loadAvg()}
	m.CPUModel = firstField("/proc/cpuinfo", "model name")
	if kb := firstField("/proc/meminfo", "MemTotal"); kb != "" {
		var n float64
		if _, err := fmt.Sscan(strings.TrimSuffix(kb, " kB"), &n); err == nil {
			m.MemoryGiB = fmt.Sprintf("%.1f", n/1024/1024)
		}
	}
	if v, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(v))
	}
	_ = b.pool.QueryRow(ctx, `SHOW server_version`).Scan(&m.Postgres)
	// current_setting gives a value with its unit as SHOW does ("512MB"):
	// setting || unit printed shared_buffers' 65536 pages of 8kB as
	// "655368kB".
	_ = b.pool.QueryRow(ctx, `SELECT string_agg(name || '=' || current_setting(name), ', ' ORDER BY name)
		FROM pg_settings WHERE name IN ('shared_buffers', 'synchronous_commit', 'fsync', 'wal_sync_method',
		'max_connections', 'commit_delay', 'full_page_writes')`).Scan(&m.PGSettings)
	if jars, _ := filepath.Glob(filepath.Join(b.opts.repo, ".cache/kafka/libs/kafka_2.13-*.jar")); len(jars) > 0 {
		m.Kafka = strings.TrimSuffix(strings.TrimPrefix(filepath.Base(jars[0]), "kafka_2.13-"), ".jar") + " (KRaft, one node)"
	}
	if out, err := exec.CommandContext(ctx, b.opts.pgbench, "--version").Output(); err == nil {
		m.Pgbench = strings.TrimSpace(string(out))
	}
	if out, err := exec.CommandContext(ctx, "git", "-C", b.opts.repo, "rev-parse", "--short", "HEAD").Output(); err == nil {
		m.Commit = strings.TrimSpace(string(out))
		if st, err := exec.CommandContext(ctx, "git", "-C", b.opts.repo, "status", "--porcelain").Output(); err == nil && len(st) > 0 {
			m.Commit += " + uncommitted changes"
		}
	}
	return m
}

// firstField returns the value of the first "key : value" line of a /proc file.
func firstField(path, key string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(data), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// loadAvg is the 1/5/15-minute load average: how busy the (shared) machine was.
func loadAvg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
