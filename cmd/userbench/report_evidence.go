package main

import "fmt"

// evidence renders what explains the figures: PostgreSQL wait states, the
// CPU budget of each window, and the profiles.
func (r report) evidence(w *mdWriter) {
	w.line("### Evidence")
	w.line("")
	w.line("PostgreSQL's side: `pg_stat_activity` of the benchmark database sampled every %s during each measured window; "+
		"figures are the average number of client backends in each state (`Client:idle in transaction` = waiting for the "+
		"client's next statement inside a transaction: round trips plus the client's own work). The oldest write "+
		"transaction is over the whole cluster (transaction ids and snapshots are cluster-wide): the relay cannot see "+
		"anything committed after it began until it ends.", r.Set.SampleEvery)
	w.line("")
	w.row("run", "busy backends", "states (avg backends, share)", "oldest write tx, any db, p50 / max ms", "CPU (machine busy; cores used)")
	w.row("---", "---:", "---", "---:", "---")
	row := func(name string, p waitProfile, u cpuUse) {
		h := p.Horizon()
		w.row(name, fmt.Sprintf("%.1f", p.Busy()), p.Top(4), ms(h.P50)+" / "+ms(h.Max), u.String())
	}
	if c := r.Cmd; c != nil {
		for _, v := range []struct {
			short  string
			levels []commandLevel
		}{{"one tenant", c.Shared.Levels}, {"tenant per client", c.PerClient.Levels}, {"tenant per client, no NOTIFY", c.NoNotify.Levels}} {
			for _, l := range v.levels {
				if l.HTTP.Clients == 1 && v.short != "one tenant" {
					continue
				}
				row(fmt.Sprintf("userservice, %d clients, %s", l.HTTP.Clients, v.short), l.HTTPW, l.HTTPCPU)
				row(fmt.Sprintf("pgbench, %d clients, %s", l.PG.Clients, v.short), l.PGW, l.PGCPU)
			}
		}
	}
	if c := r.Change; c != nil && c.Err == nil {
		row("real PATCH", c.RealW, cpuUse{})
		row("no-op PATCH", c.NoW, cpuUse{})
	}
	if rp := r.Replay; rp != nil && rp.Err == nil {
		row("usersctl replay, second run (service = the usersctl process)", rp.Waits, rp.Use)
	}
	if rl := r.Relay; rl != nil {
		row("relay draining", rl.Drain.Waits, rl.Drain.Use)
		for _, p := range rl.Raw {
			w.row(p.Name, "", "", "", p.Use.String())
		}
		row("api+relay under load", rl.Load.Waits, rl.Load.Use)
		row("api+relay idle", rl.Idle.Waits, rl.Idle.Use)
	}
	r.importEvidence(row)
	w.line("")
	w.line("CPU: `service` is the userservice process under test (api, relay or both), `load generator` is userbench " +
		"(HTTP clients, raw producers) plus pgbench; the machine is shared, so what is left is other work.")
	w.line("")
	for _, p := range r.cpuProfiles() {
		if p == nil {
			continue
		}
		if p.Label == "relay-drain" && r.Relay != nil && r.Relay.Drain.Blocking != "" {
			w.line("Blocking profiles of the relay while it drained (from a `/debug/pprof/trace` execution trace: "+
				"wall time goroutines spent blocked on the network and on channels/mutexes; relay process CPU over the whole drain: %s):",
				r.Relay.Drain.CPU)
			w.line("")
			w.line("```text\n%s\n```", r.Relay.Drain.Blocking)
			w.line("")
		}
		w.line("CPU profile `%s` (`go tool pprof -top`; file in the run's artifacts):", p.Label)
		w.line("")
		if p.Err != nil {
			w.line("profile failed: `%s`\n", oneLine(p.Err.Error()))
			continue
		}
		w.line("```text\n%s\n```", p.Top)
		w.line("")
	}
}

// cpuProfiles are the run's CPU profiles, in the order of the sections.
func (r report) cpuProfiles() []*cpuProfile {
	var profiles []*cpuProfile
	if r.Cmd != nil {
		profiles = append(profiles, r.Cmd.Profile)
	}
	if r.Relay != nil {
		profiles = append(profiles, r.Relay.Drain.Profile)
	}
	if r.Replay != nil {
		profiles = append(profiles, r.Replay.Profile)
	}
	if r.Import != nil {
		for _, run := range r.Import.Runs {
			profiles = append(profiles, run.Profile)
		}
	}
	if r.Encrypt != nil {
		profiles = append(profiles, r.Encrypt.Profile)
		if r.Encrypt.Import != nil {
			profiles = append(profiles, r.Encrypt.Import.Profiles...)
		}
	}
	return profiles
}
