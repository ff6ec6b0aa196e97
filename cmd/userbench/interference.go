package main

import (
	"context"
	"fmt"
	"time"
)

// interferenceRun is section 6: the p99 of interactive create-user commands
// (8 clients, closed loop, the api process of section 3) idle, then while the
// importer works through a large import, back to back.
type interferenceRun struct {
	Rows         int
	Idle, Loaded loadResult
	IdleM, LoadM measurement
	// ImportRate is the import's rows/s during the loaded window;
	// ImportDone is set when the import ended before the window did.
	ImportRate float64
	ImportDone bool
	// SmallIdle and SmallLoaded are how long another tenant's 10-row import
	// took (upload to last outcome) with the importer idle, and while the
	// large import was being applied (fair queue, issue 21); BigRunning is
	// whether the large import was still running when the small one ended.
	SmallIdle, SmallLoaded time.Duration
	BigRunning             bool
	SmallErr               error
	Err                    error
}

// smallImportRows is the size of the small tenant's import.
const smallImportRows = 10

// smallImport times a 10-row import of a fresh tenant, upload to last outcome.
func (b *bench) smallImport(ctx context.Context, procs importProcs, label string) (time.Duration, error) {
	t, err := b.newTenant(ctx, "userbench small import "+label)
	if err != nil {
		return 0, err
	}
	path := b.artifact("import-small-" + label + ".csv")
	if _, err := writeImportCSV(path, smallImportRows, noManagers); err != nil {
		return 0, err
	}
	start := time.Now()
	up := b.upload(ctx, procs.api.base, t.Token, path)
	p, err := b.waitImport(ctx, t.ID, start, 2*time.Minute, func(p jobProgress) bool { return p.Finished() })
	took := time.Since(start)
	if u := <-up; u.err != nil && err == nil {
		err = u.err
	}
	if err == nil && !p.Finished() {
		err = fmt.Errorf("the %d-row import did not finish in 2 minutes (%s)", smallImportRows, p.Counts)
	}
	return took, err
}

// interferenceClients is the client count of the section-1 level it reruns.
const interferenceClients = 8

func (b *bench) interference(ctx context.Context, path string, rows int) (run interferenceRun) {
	run.Rows = rows
	tImport, err := b.newTenant(ctx, "userbench interference import")
	if err != nil {
		run.Err = err
		return run
	}
	tAPI, err := b.newTenant(ctx, "userbench interference api")
	if err != nil {
		run.Err = err
		return run
	}
	procs, err := b.startImportProcs(ctx, "interference")
	if err != nil {
		run.Err = err
		return run
	}
	defer func() {
		if err := b.stopImportProcs(context.WithoutCancel(ctx), procs); err != nil {
			b.log("interference: stopping the processes: %v", err)
		}
	}()
	client := newAPIClient(procs.api.base, tAPI.Token, interferenceClients)
	defer client.close()
	op := func(ctx context.Context, _, _ int) error {
		_, err := client.createUser(ctx, b.nextEmail())
		return err
	}
	w, d := b.set.Warmup, b.set.Duration
	run.IdleM = b.withSampling(ctx, w, d, procs.api, "", func() { run.Idle = closedLoop(ctx, interferenceClients, w, d, op) })
	run.SmallIdle, run.SmallErr = b.smallImport(ctx, procs, "idle")

	start := time.Now()
	_ = b.upload(ctx, procs.api.base, tImport.Token, path)
	// The window starts once the importer applies rows (the upload may
	// still be queueing the rest: that is part of an import too).
	p0, err := b.waitImport(ctx, tImport.ID, start, 5*time.Minute, func(p jobProgress) bool { return p.Processed > 0 })
	if err != nil || p0.Processed == 0 {
		run.Err = fmt.Errorf("the import applied no row within 5 minutes: %v", err)
		return run
	}
	t0 := time.Now()
	run.LoadM = b.withSampling(ctx, w, d, procs.api, "", func() { run.Loaded = closedLoop(ctx, interferenceClients, w, d, op) })
	if run.SmallErr == nil {
		run.SmallLoaded, run.SmallErr = b.smallImport(ctx, procs, "during")
	}
	p1, err := b.waitImport(ctx, tImport.ID, start, 0, func(jobProgress) bool { return true })
	if err != nil {
		run.Err = err
		return run
	}
	run.BigRunning = !p1.Finished()
	run.ImportRate = perSecond(int64(p1.Processed-p0.Processed), time.Since(t0))
	run.ImportDone = p1.Finished()
	return run
}
