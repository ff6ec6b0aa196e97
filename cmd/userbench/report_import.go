package main

import (
	"fmt"
	"time"
)

// flatMemory is the growth of peak RSS from the smallest to the largest
// import that still counts as flat (the file grows 5-10x).
const flatMemory = 1.25

func (r report) importTargets(w *mdWriter) {
	im := r.Import
	if im == nil || len(im.Runs) == 0 {
		if !r.pending(3) {
			w.row("3", "bulk import ≥ 0.5 of CopyFrom; memory flat", "not run", "—")
		}
		return
	}
	for _, run := range im.Runs {
		v := roundRatio(run.PerSecond() / run.Copy.PerSecond())
		note := ""
		if !run.Finished {
			note = fmt.Sprintf(" (stopped at the %s cap)", r.Set.ImportCap)
		}
		ok := run.Err == nil && run.Copy.Err == nil && run.Copy.PerSecond() > 0
		w.row("3", fmt.Sprintf("new users: import rows/s ÷ CopyFrom rows/s ≥ 0.5, %d rows%s", run.Rows, note),
			ratio(run.PerSecond(), run.Copy.PerSecond()), verdict(ok, v >= 0.5))
		w.row("3", fmt.Sprintf("new users: ≥ 5,000 rows/s, %d rows", run.Rows), rate(run.PerSecond()), verdict(run.Err == nil, run.PerSecond() >= 5000))
		if a := run.Again; a != nil {
			w.row("3", fmt.Sprintf("unchanged re-import rows/s ÷ CopyFrom rows/s ≥ 1.0, %d rows", run.Rows),
				ratio(a.PerSecond(), run.Copy.PerSecond()), verdict(ok && a.Err == nil, a.PerSecond() >= run.Copy.PerSecond()))
		}
	}
	if m := im.Managers; m != nil {
		ok := m.First.Err == nil && m.Last.Err == nil && m.First.PerSecond() > 0
		w.row("3", fmt.Sprintf("managers-last file rows/s ÷ managers-first rows/s ≥ 0.8, %d rows", m.Rows),
			ratio(m.Last.PerSecond(), m.First.PerSecond()), verdict(ok, ok && m.Last.PerSecond() >= 0.8*m.First.PerSecond()))
	}
	first, last := im.Runs[0], im.Runs[len(im.Runs)-1]
	if len(im.Runs) > 1 && first.ImporterKB > 0 && last.ImporterKB > 0 {
		for _, p := range []struct {
			name     string
			from, to int64
		}{{"importer process", first.ImporterKB, last.ImporterKB}, {"api process (takes the upload, queues the rows)", first.APIKB, last.APIKB}} {
			g := float64(p.to) / float64(p.from)
			w.row("3", fmt.Sprintf("peak RSS flat (≤ %.2f×) from %d to %d rows: %s", flatMemory, first.Rows, last.Rows, p.name),
				fmt.Sprintf("%.1f → %.1f MiB (%.2f×)", mib(p.from), mib(p.to), g), verdict(true, g <= flatMemory))
		}
	}
}

func (r report) interferenceTarget(w *mdWriter) {
	if r.Import == nil {
		return
	}
	if in := r.Import.Interference; in != nil {
		ok := in.Err == nil && in.Idle.Lat.N > 0 && in.Loaded.Lat.N > 0
		w.row("6", fmt.Sprintf("API p99 during a %d-row import ≤ 2 × idle p99 (create-user, %d clients)", in.Rows, interferenceClients),
			fmt.Sprintf("%s / %s ms = %s×", ms(in.Loaded.Lat.P99), ms(in.Idle.Lat.P99), ratio(float64(in.Loaded.Lat.P99), float64(in.Idle.Lat.P99))),
			verdict(ok, ok && in.Loaded.Lat.P99 <= 2*in.Idle.Lat.P99))
		if in.SmallErr == nil && in.SmallIdle > 0 {
			note := ""
			if !in.BigRunning {
				note = " (the large import had ended: not a test of the queue)"
			}
			w.row("6", fmt.Sprintf("another tenant's %d-row import during the %d-row import finishes in ≤ 10 s%s", smallImportRows, in.Rows, note),
				fmt.Sprintf("%.1f s (%.1f s with the importer idle)", in.SmallLoaded.Seconds(), in.SmallIdle.Seconds()),
				verdict(in.BigRunning, in.SmallLoaded <= 10*time.Second))
		}
	}
}

func (r report) pending(n int) bool {
	for _, p := range r.Pending {
		if p.Number == n {
			return true
		}
	}
	return false
}

func mib(kb int64) float64 { return float64(kb) / 1024 }

func (r report) importSection(w *mdWriter) {
	if r.pending(3) {
		r.pendingSection(w, 3)
		return
	}
	w.line("### 3. Bulk import: rows/s vs pgx CopyFrom; importer peak memory")
	w.line("")
	im := r.Import
	if im == nil {
		w.line("Not run (see -sections).\n")
		return
	}
	w.line("A generated CSV (the documented header, one new user per row, no manager) is posted to `/v1/imports` of a " +
		"`userservice --roles api` process, which streams it into the staging table (COPY), checks it there and queues its rows; a separate " +
		"`userservice --roles importer` process (defaults: PostgreSQL import queue, IMPORT_CONSUMERS=4) applies them " +
		"through the command handlers. Timed from the start of the upload to the job's last outcome (polled every 200 ms). " +
		"Baseline, right after: the same file parsed with encoding/csv, each row decided by the same `user.Register` and " +
		"encoded as the service encodes it (command record, event, users row, outbox message in the user's shard), written " +
		"with pgx `CopyFrom` into the same tables, " + fmt.Sprint(copyChunk) + " rows per transaction, with one seat update per " +
		"transaction. Peak RSS is each process's `VmHWM` (fresh processes per size). Each import and each baseline stops at " +
		"the profile's cap of " + r.Set.ImportCap.String() + ": a run stopped there is reported with the rate it reached, and the " +
		"ratio compares the two rates. Then the same file is imported again into the same tenant (every row unchanged: the " +
		"nightly HR sync), timed the same way. Last, the smallest size again with managers (teams of 10: a leader and 9 " +
		"reports), once with every leader's row before its reports' and once in reverse order (every manager after its " +
		"reports), each into a fresh tenant with fresh processes.")
	w.line("")
	w.row("rows", "file MiB", "pipeline rows/s", "seconds", "job", "upload (queueing) s", "first outcome s", "CopyFrom rows/s", "CopyFrom s", "ratio",
		"importer peak RSS MiB", "api peak RSS MiB")
	w.row("---:", "---:", "---:", "---:", "---", "---:", "---:", "---:", "---:", "---:", "---:", "---:")
	for _, run := range im.Runs {
		job := "finished: " + run.Counts
		if !run.Finished {
			job = fmt.Sprintf("**stopped at the %s cap**: %d of %d rows had an outcome", r.Set.ImportCap, run.Processed, run.Rows)
		}
		upload := fmt.Sprintf("%.1f", run.Upload.Seconds())
		if run.Upload < 0 {
			upload = "still queueing"
		}
		w.row(fmt.Sprint(run.Rows), fmt.Sprintf("%.1f", float64(run.FileBytes)/(1<<20)), rate(run.PerSecond()),
			fmt.Sprintf("%.1f", run.Took.Seconds()), job, upload, fmt.Sprintf("%.1f", run.FirstOutcome.Seconds()), rate(run.Copy.PerSecond()), copySeconds(run.Copy),
			"**"+ratio(run.PerSecond(), run.Copy.PerSecond())+"**", fmt.Sprintf("%.1f", mib(run.ImporterKB)), fmt.Sprintf("%.1f", mib(run.APIKB)))
	}
	w.line("")
	w.row("rows", "unchanged re-import rows/s", "seconds", "first outcome s", "job", "÷ CopyFrom rows/s")
	w.row("---:", "---:", "---:", "---:", "---", "---:")
	for _, run := range im.Runs {
		if a := run.Again; a != nil {
			w.row(fmt.Sprint(run.Rows), rate(a.PerSecond()), fmt.Sprintf("%.1f", a.Took.Seconds()), fmt.Sprintf("%.1f", a.FirstOutcome.Seconds()), a.Counts,
				"**"+ratio(a.PerSecond(), run.Copy.PerSecond())+"**")
		}
	}
	w.line("")
	if m := im.Managers; m != nil {
		w.row("rows with managers", "managers-first rows/s", "managers-last rows/s", "upload s (first / last)", "last ÷ first")
		w.row("---:", "---:", "---:", "---:", "---:")
		w.row(fmt.Sprint(m.Rows), rate(m.First.PerSecond()), rate(m.Last.PerSecond()),
			fmt.Sprintf("%.1f / %.1f", m.First.Upload.Seconds(), m.Last.Upload.Seconds()), "**"+ratio(m.Last.PerSecond(), m.First.PerSecond())+"**")
		w.line("")
		for _, e := range []error{m.First.Err, m.Last.Err} {
			if e != nil {
				w.line("- managers: `%s`", oneLine(e.Error()))
			}
		}
	}
	for _, run := range im.Runs {
		if run.Again != nil && run.Again.Err != nil {
			w.line("- %d rows again: `%s`", run.Rows, oneLine(run.Again.Err.Error()))
		}
		for _, e := range []error{run.Err, run.Copy.Err} {
			if e != nil {
				w.line("- %d rows: `%s`", run.Rows, oneLine(e.Error()))
			}
		}
	}
	if im.Err != nil {
		w.line("- section failed: `%s`", oneLine(im.Err.Error()))
	}
	w.line("")
}

func (r report) interferenceSection(w *mdWriter) {
	if r.pending(6) {
		r.pendingSection(w, 6)
		return
	}
	w.line("### 6. Interference: API p99 during a large import vs idle p99")
	w.line("")
	in := (*interferenceRun)(nil)
	if r.Import != nil {
		in = r.Import.Interference
	}
	if in == nil {
		w.line("Not run (see -sections, or section 3 failed).\n")
		return
	}
	w.line("The section-1 load (`POST /v1/users`, %d clients, closed loop, %s warm-up + %s measured) against the api process "+
		"of section 3, on a tenant of its own: first with the importer process idle, then, back to back, while it applies the "+
		"%d-row file (the window opens once the first row has an outcome; the upload may still be queueing the rest on the same "+
		"api process).", interferenceClients, r.Set.Warmup, r.Set.Duration, in.Rows)
	w.line("")
	w.row("condition", "cmd/s", "p50 ms", "p99 ms", "max ms", "errors", "import rows/s in the window")
	w.row("---", "---:", "---:", "---:", "---:", "---:", "---:")
	w.row("idle", rate(in.Idle.PerSecond()), ms(in.Idle.Lat.P50), ms(in.Idle.Lat.P99), ms(in.Idle.Lat.Max), fmt.Sprint(in.Idle.Failed), "")
	done := ""
	if in.ImportDone {
		done = " (the import ended inside the window)"
	}
	w.row("during the import", rate(in.Loaded.PerSecond()), ms(in.Loaded.Lat.P50), ms(in.Loaded.Lat.P99), ms(in.Loaded.Lat.Max),
		fmt.Sprint(in.Loaded.Failed), rate(in.ImportRate)+done)
	w.line("")
	w.line("p99 during ÷ idle: **%s×**.", ratio(float64(in.Loaded.Lat.P99), float64(in.Idle.Lat.P99)))
	w.line("")
	w.line("Fair queue (issue 21): another tenant's %d-row import, upload to last outcome, with the importer idle (before "+
		"the large upload) and while the large import was applied (after the window above): %.1f s and %.1f s; the large "+
		"import was still running at the end: %v.", smallImportRows, in.SmallIdle.Seconds(), in.SmallLoaded.Seconds(), in.BigRunning)
	if in.SmallErr != nil {
		w.line("- small import: `%s`", oneLine(in.SmallErr.Error()))
	}
	for _, e := range []string{in.Idle.FirstErr, in.Loaded.FirstErr} {
		if e != "" {
			w.line("- first error: `%s`", oneLine(e))
		}
	}
	if in.Err != nil {
		w.line("- section failed: `%s`", oneLine(in.Err.Error()))
	}
	w.line("")
}

// importEvidence adds the import windows to the evidence table.
func (r report) importEvidence(row func(string, waitProfile, cpuUse)) {
	if r.Import == nil {
		return
	}
	for _, run := range r.Import.Runs {
		row(fmt.Sprintf("import of %d rows (service = the importer process)", run.Rows), run.Waits, run.Use)
	}
	if in := r.Import.Interference; in != nil && in.Err == nil {
		row("create-user idle (service = the api process)", in.IdleM.waits, in.IdleM.use)
		row("create-user during the import (service = the api process)", in.LoadM.waits, in.LoadM.use)
	}
}

func copySeconds(c copyRun) string {
	if c.Capped {
		return fmt.Sprintf("%.1f (stopped at the cap after %d rows)", c.Took.Seconds(), c.Rows)
	}
	return fmt.Sprintf("%.1f", c.Took.Seconds())
}
