package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"time"
)

// The encryption section (issue 22) measures what sealing personal data
// costs, in one run: the same loads against processes with MASTER_KEYS set
// ("on") and with it empty ("off"), back to back, in alternating rounds (off
// then on, then on then off, ...) so that a shared machine's drift hits
// both sides alike. The ratios on ÷ off are the cost (target: ≥ 0.90, i.e.
// within 10 %).

// encryptSide is one of the two settings.
type encryptSide int

const (
	sideOff encryptSide = iota
	sideOn
)

func (s encryptSide) String() string {
	if s == sideOn {
		return "on"
	}
	return "off"
}

// encryptLevel is the create-user load at one client count, both sides.
type encryptLevel struct {
	Clients int
	Off, On loadResult
	// OffCPU and OnCPU are the api process's CPU time over the measured
	// windows, OffPG and OnPG the benchmark database's PostgreSQL's: per
	// command they are steadier than rates on a shared machine.
	OffCPU, OnCPU time.Duration
	OffPG, OnPG   time.Duration
}

// encryptImport is the import of new users, both sides: rows/s per round.
type encryptImport struct {
	Rows    int
	Off, On []importTiming
	// Profiles are the importer's CPU profiles in each side's first round.
	Profiles []*cpuProfile
}

// importTiming is one timed import, with the CPU time of the importer
// process and of the benchmark database's PostgreSQL over it.
type importTiming struct {
	Took              time.Duration
	Processed         int
	Finished          bool
	Service, Postgres time.Duration
	profile           *cpuProfile
}

// cpuPerRow is the importer's and PostgreSQL's CPU time per row over every
// round of a side.
func cpuPerRow(ts []importTiming) (service, postgres time.Duration) {
	var rows int
	for _, t := range ts {
		rows, service, postgres = rows+t.Processed, service+t.Service, postgres+t.Postgres
	}
	if rows == 0 {
		return 0, 0
	}
	return service / time.Duration(rows), postgres / time.Duration(rows)
}

// sideRate is the rows/s over every round of a side.
func sideRate(ts []importTiming) float64 {
	var rows int
	var took time.Duration
	for _, t := range ts {
		rows, took = rows+t.Processed, took+t.Took
	}
	return perSecond(int64(rows), took)
}

// encryptResult is the encryption section.
type encryptResult struct {
	Levels  []encryptLevel
	Import  *encryptImport
	Profile *cpuProfile // of the "on" api at the largest level, first round
	Err     error
}

// runEncryptionSection runs the section when it was asked for, into rep;
// a failure sets failed.
func (b *bench) runEncryptionSection(ctx context.Context, rep *report, failed *bool) {
	if !b.opts.sections["encryption"] {
		return
	}
	e := b.encryptionCost(ctx)
	rep.Encrypt = &e
	if e.Err != nil {
		*failed = true
	}
}

// encryptionCost runs the section.
func (b *bench) encryptionCost(ctx context.Context) (res encryptResult) {
	keys := b.opts.masterKeys
	if keys == "" {
		var err error
		if keys, err = benchMasterKeys(); err != nil {
			res.Err = err
			return res
		}
	}
	// MASTER_KEYS set to "" is encryption off, whatever the environment.
	env := map[encryptSide][]string{sideOff: {"MASTER_KEYS="}, sideOn: {"MASTER_KEYS=" + keys}}
	procs := map[encryptSide]*serviceProc{}
	tokens := map[encryptSide]tenant{}
	for _, side := range []encryptSide{sideOff, sideOn} {
		p, err := b.startService(ctx, serviceEnv{Roles: "api", MaxConns: b.set.MaxConns,
			LogBaseName: "service-api-encryption-" + side.String(), Env: env[side]})
		if err != nil {
			res.Err = err
			return res
		}
		defer func() { _ = p.stop() }()
		procs[side] = p
		if tokens[side], err = b.newTenant(ctx, "userbench encryption "+side.String()); err != nil {
			res.Err = err
			return res
		}
	}
	for _, c := range b.set.EncryptClients {
		lvl := b.encryptLevel(ctx, procs, tokens, c, c == b.set.EncryptClients[len(b.set.EncryptClients)-1])
		if lvl.profile != nil {
			res.Profile = lvl.profile
		}
		res.Levels = append(res.Levels, lvl.encryptLevel)
		if err := firstLoadError(lvl.Off, lvl.On); err != nil {
			res.Err = err
			return res
		}
	}
	for _, p := range procs {
		_ = p.stop()
	}
	if n := b.set.EncryptImportRows; n > 0 {
		imp, err := b.encryptImportCost(ctx, env, n)
		res.Import, res.Err = &imp, err
	}
	return res
}

// levelRun is a level and the profile taken during it.
type levelRun struct {
	encryptLevel
	profile *cpuProfile
}

// encryptLevel runs create-user at c clients, alternating the sides round
// by round; each side warms up (unrecorded) in its first round.
func (b *bench) encryptLevel(ctx context.Context, procs map[encryptSide]*serviceProc, tokens map[encryptSide]tenant, c int, profile bool) levelRun {
	lvl := levelRun{encryptLevel: encryptLevel{Clients: c}}
	clients := map[encryptSide]*apiClient{}
	for side, p := range procs {
		clients[side] = newAPIClient(p.base, tokens[side].Token, c)
		defer clients[side].close()
	}
	warm := map[encryptSide]bool{}
	for round := range b.set.EncryptRounds {
		for _, side := range sideOrder(round) {
			b.log("encryption: create-user, %d clients, %s, round %d/%d", c, side, round+1, b.set.EncryptRounds)
			warmup := b.set.Warmup
			if warm[side] {
				warmup = 0
			}
			warm[side] = true
			label := ""
			if profile && round == 0 && side == sideOn {
				label = fmt.Sprintf("api-create-encrypted-%dclients", c)
			}
			var r loadResult
			m := b.withSampling(ctx, warmup, b.set.EncryptWindow, procs[side], label, func() {
				r = closedLoop(ctx, c, warmup, b.set.EncryptWindow, func(ctx context.Context, _, _ int) error {
					_, err := clients[side].createUser(ctx, b.nextEmail())
					return err
				})
			})
			pg := time.Duration(m.use.Postgres * float64(b.set.EncryptWindow))
			if side == sideOn {
				lvl.On, lvl.OnCPU, lvl.OnPG = lvl.On.merge(r), lvl.OnCPU+m.cpu, lvl.OnPG+pg
			} else {
				lvl.Off, lvl.OffCPU, lvl.OffPG = lvl.Off.merge(r), lvl.OffCPU+m.cpu, lvl.OffPG+pg
			}
			if m.profile != nil {
				lvl.profile = m.profile
			}
		}
	}
	return lvl
}

// sideOrder is the order of the sides in a round: off first in even rounds,
// on first in odd ones.
func sideOrder(round int) []encryptSide {
	if round%2 == 1 {
		return []encryptSide{sideOn, sideOff}
	}
	return []encryptSide{sideOff, sideOn}
}

func firstLoadError(rs ...loadResult) error {
	for _, r := range rs {
		if r.OK == 0 && r.FirstErr != "" {
			return fmt.Errorf("create-user: %s", r.FirstErr)
		}
	}
	return nil
}

// encryptImportCost imports a file of n new users into a fresh tenant per
// import, with fresh api and importer processes of the side, alternating.
func (b *bench) encryptImportCost(ctx context.Context, env map[encryptSide][]string, n int) (encryptImport, error) {
	res := encryptImport{Rows: n}
	path := b.artifact(fmt.Sprintf("import-encryption-%d.csv", n))
	if _, err := writeImportCSV(path, n, noManagers); err != nil {
		return res, err
	}
	defer os.Remove(path)
	for round := range b.set.EncryptImportRounds {
		for _, side := range sideOrder(round) {
			b.log("encryption: import of %d new users, %s, round %d/%d", n, side, round+1, b.set.EncryptImportRounds)
			t, err := b.importTimed(ctx, path, n, fmt.Sprintf("encryption-%s-%d", side, round+1), env[side], round == 0)
			if t.profile != nil {
				res.Profiles = append(res.Profiles, t.profile)
			}
			if err != nil {
				return res, err
			}
			if side == sideOn {
				res.On = append(res.On, t)
			} else {
				res.Off = append(res.Off, t)
			}
		}
	}
	return res, nil
}

// importTimed times one import of path (n new users) into a fresh tenant:
// from the start of the upload to the job's last outcome (or the cap).
// With profile set it takes a CPU profile of the importer once it works.
func (b *bench) importTimed(ctx context.Context, path string, n int, label string, env []string, profile bool) (importTiming, error) {
	var t importTiming
	ten, err := b.newTenant(ctx, "userbench "+label)
	if err != nil {
		return t, err
	}
	procs, err := b.startImportProcs(ctx, label, env...)
	if err != nil {
		return t, err
	}
	defer func() { _ = b.stopImportProcs(context.WithoutCancel(ctx), procs) }()
	pid := procs.importer.cmd.Process.Pid
	snap := b.snapshotCPU(pid)
	start := time.Now()
	upload := b.upload(ctx, procs.api.base, ten.Token, path)
	var waitProf func() cpuProfile
	prog, err := b.waitImport(ctx, ten.ID, start, b.set.ImportCap, func(p jobProgress) bool {
		if profile && waitProf == nil && p.Processed > 0 {
			waitProf = b.profileCPU(ctx, procs.importer, "importer-"+label, max(1, b.set.ProfileSeconds/2))
		}
		return p.Finished()
	})
	t.Took, t.Processed, t.Finished = time.Since(start), prog.Processed, prog.Finished()
	if waitProf != nil {
		p := waitProf()
		t.profile = &p
	}
	use := b.snapshotCPU(pid).since(snap, runtime.NumCPU())
	t.Service, t.Postgres = time.Duration(use.Service*float64(t.Took)), time.Duration(use.Postgres*float64(t.Took))
	if err != nil || !t.Finished {
		return t, err // capped: reported with the rate it reached
	}
	if u := <-upload; u.err != nil {
		return t, u.err
	}
	if prog.Created != n {
		return t, fmt.Errorf("import %s created %d users of %d rows (%s)", label, prog.Created, n, prog.Counts)
	}
	return t, nil
}
