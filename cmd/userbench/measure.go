package main

import (
	"context"
	"runtime"
	"time"
)

// measurement is what was observed over a measured window.
type measurement struct {
	waits   waitProfile
	cpu     time.Duration // of the service process
	use     cpuUse
	profile *cpuProfile
}

// withSampling runs load, which first warms up for warmup and then measures
// for window, and over the window only samples pg_stat_activity, the CPU
// budget and the service's CPU time and, when label is set, takes a CPU
// profile of proc. The CPU window closes a moment before the load ends, so
// pgbench's backends are still there to be counted.
func (b *bench) withSampling(ctx context.Context, warmup, window time.Duration, proc *serviceProc, label string, load func()) measurement {
	done := make(chan struct{})
	go func() {
		defer close(done)
		load()
	}()
	select {
	case <-done:
		return measurement{}
	case <-time.After(warmup):
	}
	var m measurement
	stop := sampleWaits(ctx, b.pool, b.set.SampleEvery)
	pid := 0
	if proc != nil {
		pid = proc.cmd.Process.Pid
	}
	snap := b.snapshotCPU(pid)
	var wait func() cpuProfile
	if label != "" && proc != nil {
		seconds := max(1, min(b.set.ProfileSeconds, int(window.Seconds())-1))
		wait = b.profileCPU(ctx, proc, label, seconds)
	}
	cpuWindow := window - 300*time.Millisecond
	if cpuWindow < time.Second {
		cpuWindow = window
	}
	select {
	case <-done:
	case <-time.After(cpuWindow):
	}
	end := b.snapshotCPU(pid)
	m.use = end.since(snap, runtime.NumCPU())
	m.cpu = end.service - snap.service
	<-done
	m.waits = stop()
	if wait != nil {
		p := wait()
		m.profile = &p
	}
	return m
}
