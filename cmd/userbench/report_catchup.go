package main

import (
	"fmt"
	"time"
)

// catchUpTable reports the relay's catch-up from backlogs of each size. The
// flatness ratio compares drain rates, from the first record acknowledged
// to the last: the start-up (process start to the first acknowledgement)
// is a column of its own, and the rate from process start stays beside.
func (r report) catchUpTable(w *mdWriter, runs []catchUpRun) {
	small := runs[0].Backlog
	w.line("Catch-up: the relay role draining a backlog of each size (fresh group and topic, rows written first in "+
		"500-row transactions); a flat rate means the read of the next batch does not grow with the backlog. "+
		"**Drain events/s** is (events − 1) ÷ (last record acknowledged − first record acknowledged), the topic's "+
		"high-water marks polled every %s (one request per broker); **÷ smallest** compares drain rates. "+
		"Start-up is process start to the first record acknowledged (connections, topic check, the shards' "+
		"locks, the first read, the producer's first request); \"from process start\" is events ÷ (last "+
		"acknowledgement − process start), start-up included. \"First %d\" is a larger backlog's rate over its first "+
		"%d records, first acknowledgement to the %dth: the smallest drain's window and warm-up, read while the whole "+
		"backlog waits.", catchUpPoll, small, small, small)
	w.line("")
	w.row("backlog", "start-up s", "drain s", "drain events/s", "÷ smallest", fmt.Sprintf("first %d events/s", small),
		"from process start events/s")
	w.row("---:", "---:", "---:", "---:", "---:", "---:", "---:")
	base := runs[0].Drain.PerSecond()
	for _, c := range runs {
		d := c.Drain
		if c.Err != nil {
			w.row(fmt.Sprint(c.Backlog), "error: `"+oneLine(c.Err.Error())+"`", "", "", "", "", "")
			continue
		}
		window := "—"
		if v := d.WindowPerSecond(); v > 0 {
			window = rate(v) + " (" + ratio(v, base) + ")"
		}
		w.row(fmt.Sprint(c.Backlog), seconds(d.StartToFirst), seconds(d.FirstToLast), rate(d.PerSecond()),
			ratio(d.PerSecond(), base), window, rate(d.PerSecondFromStart()))
	}
	w.line("")
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.2f", d.Seconds()) }
