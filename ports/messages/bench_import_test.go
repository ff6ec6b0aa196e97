//go:build importbench

// The import measurement: `go test -tags importbench -run TestImportRate
// -timeout 30m ./ports/messages/` (IMPORT_BENCH_ROWS, default 100000;
// IMPORT_BENCH_CONSUMERS, default 4). Not part of the default suite.
package messages_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/userservice/userservice/adapters/postgres"
	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/ports/messages"
)

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

func TestImportRate(t *testing.T) {
	rows := envInt("IMPORT_BENCH_ROWS", 100000)
	consumers := envInt("IMPORT_BENCH_CONSUMERS", 4)
	h := newHarness(t, rows*2, options{})
	var b strings.Builder
	b.WriteString(header)
	for i := 1; i <= rows; i++ {
		// Every tenth row reports to the next tenth row: later in the file.
		mgr := ""
		if os.Getenv("IMPORT_BENCH_MANAGERS") != "" && i%10 != 0 && i+10-i%10 <= rows {
			mgr = fmt.Sprintf("B%d", i+10-i%10)
		}
		fmt.Fprintf(&b, "B%d,bench%d@example.com,Given%d,Family%d,,Dept%d,Title,%s,active\r\n", i, i, i, i, i%50, mgr)
	}
	file := b.String()
	path := t.TempDir() + "/bench.csv"
	must(t, os.WriteFile(path, []byte(file), 0o600))
	t.Logf("file: %d rows, %.1f MiB", rows, float64(len(file))/(1<<20))
	file = ""
	b = strings.Builder{}

	h.ctx = context.Background()
	var peakHeap, peakSys atomic.Uint64
	stop := make(chan struct{})
	go func() {
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peakHeap.Load() {
				peakHeap.Store(m.HeapInuse)
			}
			if m.Sys > peakSys.Load() {
				peakSys.Store(m.Sys)
			}
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	defer close(stop)

	importFile := func() command.StartedImport {
		f, err := os.Open(path)
		must(t, err)
		defer f.Close()
		started, err := h.app.Commands.StartImport.Handle(h.ctx, command.StartImport{TenantID: h.tenant, Actor: "bench", Body: f})
		must(t, err)
		return started
	}
	runtime.GC()
	start := time.Now()
	started := importFile()
	queued := time.Since(start)
	runtime.GC()
	queueHeap := peakHeap.Load()
	peakHeap.Store(0)

	sub, err := postgres.NewImportQueueSubscriber(newPool(t, consumers+1), postgres.ImportQueueConfig{PollInterval: 20 * time.Millisecond}, nil)
	must(t, err)
	cfg := messagesConfig()
	cfg.Sources = []messages.Source{{Name: "postgres", Subscriber: sub, Topic: postgres.ImportQueueTopic, Consumers: consumers}}
	begin := time.Now()
	h.startRouter(cfg)
	job := h.waitFinished(started.JobID)
	took := time.Since(begin)
	t.Logf("queued %d rows in %s (%.0f rows/s), peak heap while queueing %.1f MiB",
		started.Total, queued.Round(time.Millisecond), float64(started.Total)/queued.Seconds(), float64(queueHeap)/(1<<20))
	t.Logf("imported in %s with %d consumers: %.0f rows/s; counts %+v", took.Round(time.Millisecond), consumers,
		float64(started.Total)/took.Seconds(), countsOf(job))
	t.Logf("importer peak heap in use %.1f MiB, peak Go runtime memory (Sys) %.1f MiB", float64(peakHeap.Load())/(1<<20),
		float64(peakSys.Load())/(1<<20))
	if status, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, line := range strings.Split(string(status), "\n") {
			if strings.HasPrefix(line, "VmHWM") {
				t.Logf("process peak RSS: %s", strings.TrimSpace(strings.TrimPrefix(line, "VmHWM:")))
			}
		}
	}
	if job.Created != rows {
		t.Fatalf("created %d of %d rows", job.Created, rows)
	}
	// The same file again: every row unchanged, so no command writes and
	// the figure is the pipeline's own cost per row.
	begin = time.Now()
	again := h.waitFinished(importFile().JobID)
	took = time.Since(begin)
	t.Logf("re-import (all unchanged) incl. queueing: %s, %.0f rows/s; counts %+v", took.Round(time.Millisecond),
		float64(rows)/took.Seconds(), countsOf(again))
}
