package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/userservice/userservice/adapters/postgres"
)

// cpuProfile is a CPU profile taken of a service process.
type cpuProfile struct {
	Label string
	Path  string // the .pprof file
	Top   string // `go tool pprof -top` output, trimmed
	Err   error
}

// profileCPU starts a CPU profile of p for seconds in the background; wait
// returns it once taken and summarised with `go tool pprof -top`.
func (b *bench) profileCPU(ctx context.Context, p *serviceProc, label string, seconds int) (wait func() cpuProfile) {
	done := make(chan cpuProfile, 1)
	go func() {
		prof := cpuProfile{Label: label, Path: b.artifact("cpu-" + label + ".pprof")}
		prof.Err = fetchProfile(ctx, p.pprofAddr, seconds, prof.Path)
		if prof.Err == nil {
			bin := b.opts.serviceBin
			if strings.HasPrefix(label, "usersctl") {
				bin = b.opts.usersctlBin
			}
			prof.Top, prof.Err = pprofTop(ctx, b.opts.goBin, bin, prof.Path, 22)
		}
		done <- prof
	}()
	return func() cpuProfile { return <-done }
}

func fetchProfile(ctx context.Context, addr string, seconds int, path string) error {
	url := fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addr, seconds)
	return fetchTo(ctx, url, time.Duration(seconds+30)*time.Second, path)
}

// fetchTo saves what url answers to path.
func fetchTo(ctx context.Context, url string, timeout time.Duration, path string) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("get %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("get %s: status %d", url, resp.StatusCode)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// pprofTop runs `go tool pprof -top` and keeps the summary lines and the
// first n functions.
func pprofTop(ctx context.Context, goBin, binary, profile string, n int) (string, error) {
	out, err := exec.CommandContext(ctx, goBin, "tool", "pprof", "-top", fmt.Sprintf("-nodecount=%d", n), binary, profile).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go tool pprof: %w: %s", err, out)
	}
	var keep []string
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "File:") || strings.HasPrefix(line, "Build ID:") || strings.HasPrefix(line, "Type:") ||
			strings.HasPrefix(line, "Time:") || strings.TrimSpace(line) == "" {
			continue
		}
		keep = append(keep, line)
	}
	return strings.Join(keep, "\n"), nil
}

// traceBlocking takes an execution trace of p for seconds in the background
// and turns it into blocking profiles (`go tool trace -pprof=net|sync`):
// where a process that waits more than it computes spends its wall time.
// wait returns their `go tool pprof -top` summaries.
func (b *bench) traceBlocking(ctx context.Context, p *serviceProc, label string, seconds int) (wait func() string) {
	done := make(chan string, 1)
	go func() {
		tracePath := b.artifact("trace-" + label + ".out")
		url := fmt.Sprintf("http://%s/debug/pprof/trace?seconds=%d", p.pprofAddr, seconds)
		if err := fetchTo(ctx, url, time.Duration(seconds+30)*time.Second, tracePath); err != nil {
			done <- "trace failed: " + err.Error()
			return
		}
		var sb strings.Builder
		tops := map[string]string{}
		for _, kind := range []string{"net", "sync"} {
			prof := b.artifact(fmt.Sprintf("trace-%s-%s.pprof", label, kind))
			out, err := exec.CommandContext(ctx, b.opts.goBin, "tool", "trace", "-pprof="+kind, tracePath).Output()
			if err == nil {
				err = os.WriteFile(prof, out, 0o644)
			}
			var top string
			if err == nil {
				top, err = pprofTop(ctx, b.opts.goBin, b.opts.serviceBin, prof, 500)
			}
			tops[kind] = top
			if kind == "sync" {
				continue // mostly idle goroutines: the file is kept, the summary says what matters
			}
			if err != nil {
				top = "failed: " + err.Error()
			}
			fmt.Fprintf(&sb, "# %s blocking (go tool trace -pprof=%s)\n%s\n", kind, kind, firstLines(top, 16))
		}
		shard := time.Duration(seconds*postgres.OutboxShards) * time.Second
		ack, sel := cumOf(tops["sync"], "syncProducer).SendMessage"), cumOf(tops["net"], "PgxTx).QueryContext")
		summary := fmt.Sprintf("# shard goroutines (%d x %ds): %.0f%% waiting for Kafka acks (SendMessage), %.0f%% in the batch SELECT, %.0f%% other\n",
			postgres.OutboxShards, seconds, pct(ack, shard), pct(sel, shard), max(0, 100-pct(ack, shard)-pct(sel, shard)))
		done <- strings.TrimSpace(summary + sb.String())
	}()
	return func() string { return <-done }
}

// procCPU is the CPU time (user + system) a process has used so far.
func procCPU(pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name, which is in parentheses and may hold spaces.
	s := string(data)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0
	}
	var utime, stime int64
	fmt.Sscan(f[11], &utime)
	fmt.Sscan(f[12], &stime)
	const clockTicks = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / clockTicks
}

// cumOf is the cumulative time of the first function whose name ends with
// suffix in a `go tool pprof -top` listing (0 when absent).
func cumOf(top, suffix string) time.Duration {
	for _, line := range strings.Split(top, "\n") {
		f := strings.Fields(line)
		if len(f) < 6 || !strings.HasSuffix(f[len(f)-1], suffix) {
			continue
		}
		if d, err := time.ParseDuration(f[3]); err == nil {
			return d
		}
	}
	return 0
}

func pct(part, whole time.Duration) float64 {
	if whole <= 0 {
		return 0
	}
	return 100 * part.Seconds() / whole.Seconds()
}

// firstLines keeps the first n lines of s.
func firstLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	return strings.Join(lines[:min(n, len(lines))], "\n")
}
