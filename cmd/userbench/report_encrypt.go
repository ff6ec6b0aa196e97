package main

import (
	"fmt"
	"time"
)

// encryptTarget is the encryption section's target: on ÷ off ≥ 0.90.
const encryptTarget = 0.90

func (r report) encryptionTargets(w *mdWriter) {
	e := r.Encrypt
	if e == nil {
		return
	}
	for _, l := range e.Levels {
		v := roundRatio(l.On.PerSecond() / l.Off.PerSecond())
		w.row("7", fmt.Sprintf("encryption on ÷ off ≥ 0.90: create-user commands/s at %d clients", l.Clients),
			ratio(l.On.PerSecond(), l.Off.PerSecond()), verdict(l.Off.PerSecond() > 0 && l.On.OK > 0, v >= encryptTarget))
	}
	if im := e.Import; im != nil {
		on, off := sideRate(im.On), sideRate(im.Off)
		w.row("7", fmt.Sprintf("encryption on ÷ off ≥ 0.90: import rows/s, %d new users", im.Rows),
			ratio(on, off), verdict(on > 0 && off > 0, roundRatio(on/off) >= encryptTarget))
	}
	if e.Err != nil && len(e.Levels) == 0 {
		w.row("7", "encryption on ÷ off ≥ 0.90 (create-user, import)", "failed", oneLine(e.Err.Error()))
	}
}

func (r report) encryptionSection(w *mdWriter) {
	e := r.Encrypt
	if e == nil {
		return
	}
	s := r.Set
	w.line("### 7. Cost of encrypting personal data: encryption on vs off (issue 22)")
	w.line("")
	w.line("Two api processes on the same database, one with `MASTER_KEYS` set (\"on\": every personal field sealed "+
		"with the user's data key, README \"Personal data\") and one with it empty (\"off\"), each with a tenant of its own; "+
		"`POST /v1/users` closed loop, per client count %d alternating rounds (off then on, then on then off, ...) of %s "+
		"per side, after a %s unrecorded warm-up per side. Then %d round(s) per side, alternating likewise, of a %d-row "+
		"file of new users, each import into a fresh tenant with fresh api and importer processes of the side (upload to "+
		"the job's last outcome). Target: on ÷ off ≥ %.2f (the cost within 10 %%).",
		s.EncryptRounds, s.EncryptWindow, s.Warmup, s.EncryptImportRounds, s.EncryptImportRows, encryptTarget)
	w.line("")
	w.row("load", "off", "on", "on ÷ off", "p50 ms off / on", "p99 ms off / on", "service CPU per command or row off / on",
		"PostgreSQL CPU per command or row off / on")
	w.row("---", "---:", "---:", "---:", "---:", "---:", "---:", "---:")
	for _, l := range e.Levels {
		w.row(fmt.Sprintf("create-user, %d clients (cmd/s)", l.Clients), rate(l.Off.PerSecond()), rate(l.On.PerSecond()),
			ratio(l.On.PerSecond(), l.Off.PerSecond()), ms(l.Off.Lat.P50)+" / "+ms(l.On.Lat.P50),
			ms(l.Off.Lat.P99)+" / "+ms(l.On.Lat.P99), perCommand(l.OffCPU, l.Off.OK)+" / "+perCommand(l.OnCPU, l.On.OK),
			perCommand(l.OffPG, l.Off.OK)+" / "+perCommand(l.OnPG, l.On.OK))
	}
	if im := e.Import; im != nil {
		on, off := sideRate(im.On), sideRate(im.Off)
		offSvc, offPG := cpuPerRow(im.Off)
		onSvc, onPG := cpuPerRow(im.On)
		w.row(fmt.Sprintf("import, %d new users (rows/s)", im.Rows), rate(off), rate(on), ratio(on, off), "", "",
			ms(offSvc)+" / "+ms(onSvc)+" ms", ms(offPG)+" / "+ms(onPG)+" ms")
	}
	w.line("")
	if im := e.Import; im != nil {
		w.line("Import seconds per round: off %s; on %s.", importSeconds(im.Off), importSeconds(im.On))
		w.line("")
	}
	for _, l := range e.Levels {
		for _, x := range []loadResult{l.Off, l.On} {
			if x.FirstErr != "" {
				w.line("- first error at %d clients: `%s`", l.Clients, oneLine(x.FirstErr))
			}
		}
	}
	if e.Err != nil {
		w.line("- section failed: `%s`", oneLine(e.Err.Error()))
	}
	w.line("")
}

// perCommand is CPU time per command in ms.
func perCommand(cpu time.Duration, n int) string {
	if n == 0 {
		return "n/a"
	}
	return ms(cpu/time.Duration(n)) + " ms"
}

// importSeconds lists the rounds' durations, marking a capped one.
func importSeconds(ts []importTiming) string {
	out := ""
	for i, t := range ts {
		if i > 0 {
			out += ", "
		}
		out += fmt.Sprintf("%.1f", t.Took.Seconds())
		if !t.Finished {
			out += fmt.Sprintf(" (capped at %d rows)", t.Processed)
		}
	}
	return out
}
