package main

import (
	"strings"
	"testing"
	"time"
)

// The catch-up's flatness compares drain rates from the first record
// acknowledged; the start-up and the rate from process start are shown
// beside it, and a larger backlog's first records are timed in the smallest
// drain's window.
func TestCatchUpTableComparesDrainRates(t *testing.T) {
	small := relayDrain{Received: 20001, StartToFirst: 800 * time.Millisecond, FirstToLast: 400 * time.Millisecond,
		StartToLast: 1200 * time.Millisecond}
	large := relayDrain{Received: 1000001, StartToFirst: 700 * time.Millisecond, FirstToLast: 20 * time.Second,
		StartToLast: 20700 * time.Millisecond, Window: 20000, WindowTime: 250 * time.Millisecond}
	var w mdWriter
	report{}.catchUpTable(&w, []catchUpRun{{Backlog: 20000, Drain: small}, {Backlog: 1000000, Drain: large}})
	got := w.String()
	for _, want := range []string{
		"| 20000 | 0.80 | 0.40 | 50000 | 1.00 | — | 16668 |",
		"| 1000000 | 0.70 | 20.00 | 50000 | 1.00 | 79996 (1.60) | 48309 |",
		"(events − 1) ÷ (last record acknowledged − first record acknowledged)",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("catch-up table lacks %q:\n%s", want, got)
		}
	}
}
