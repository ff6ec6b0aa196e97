package projection

import (
	"sync"
	"time"
)

// Progress is a rebuild's progress, as reported while it runs.
type Progress struct {
	// Phase is PhaseBulk, PhaseCatchUp, PhaseVerify or PhaseSwap.
	Phase string
	// Done counts the events read so far (by earlier, interrupted runs
	// too); Total is the number of events in scope when the run started
	// (0 until counted: the bulk load counts beside its read).
	Done, Total int64
	// Rate is this run's events per second in this phase.
	Rate float64
	// ETA is the time the phase still needs at Rate; 0 when unknown.
	ETA time.Duration
	// Elapsed is the time the phase has taken so far.
	Elapsed time.Duration
}

// The phases of a rebuild.
const (
	PhaseBulk    = "bulk"
	PhaseCatchUp = "catch-up"
	PhaseVerify  = "verify"
	PhaseSwap    = "swap"
)

// meter turns event counts into Progress reports, at most one per interval
// (plus the final one of each phase).
type meter struct {
	mu       sync.Mutex
	report   func(Progress)
	every    time.Duration
	phase    string
	start    time.Time
	last     time.Time
	base     int64 // done before this run
	done     int64 // done in this run
	total    int64
	reported bool
}

func newMeter(report func(Progress), every time.Duration) *meter {
	return &meter{report: report, every: every}
}

// begin starts a phase; base events of it were done by an earlier run.
func (m *meter) begin(phase string, base, total int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	m.phase, m.start, m.last, m.base, m.done, m.total, m.reported = phase, now, now, base, 0, total, false
}

// setTotal sets the phase's total once it is known: the events of every
// run, as begin's.
func (m *meter) setTotal(total int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.total = total
}

// add counts n more events and reports if the interval has passed.
func (m *meter) add(n int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.done += int64(n)
	if now := time.Now(); now.Sub(m.last) >= m.every {
		m.last = now
		m.emit(now)
	}
}

// end reports the phase's final figures.
func (m *meter) end() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.emit(time.Now())
}

func (m *meter) emit(now time.Time) {
	if m.report == nil {
		return
	}
	p := Progress{Phase: m.phase, Done: m.base + m.done, Total: m.total, Elapsed: now.Sub(m.start)}
	if secs := p.Elapsed.Seconds(); secs > 0 {
		p.Rate = float64(m.done) / secs
	}
	if p.Rate > 0 && p.Total > p.Done {
		p.ETA = time.Duration(float64(p.Total-p.Done) / p.Rate * float64(time.Second))
	}
	m.report(p)
}
