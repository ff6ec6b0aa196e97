package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// importRun is one size of section 3: the real pipeline (an api process
// takes the upload and queues the rows, an importer process applies them)
// against pgx CopyFrom of the same rows into the same tables.
type importRun struct {
	Rows      int
	FileBytes int64
	// Took is from the start of the upload to the job's last outcome, or
	// to the cap when the job did not finish in time (Finished false).
	Took      time.Duration
	Processed int // rows with an outcome at the end (all of them when Finished)
	Finished  bool
	Upload    time.Duration // the POST: spooling, indexing and queueing every row
	// FirstOutcome is from the start of the upload to the first row's
	// outcome (polled every 200 ms).
	FirstOutcome time.Duration
	Counts       string
	// ImporterKB and APIKB are the processes' peak resident set (VmHWM).
	ImporterKB, APIKB int64
	Copy              copyRun
	// Again is the same file imported again into the same tenant once the
	// first job finished: every row unchanged.
	Again   *againRun
	Waits   waitProfile
	Use     cpuUse
	Profile *cpuProfile
	Err     error
}

// againRun is an unchanged re-import.
type againRun struct {
	Took         time.Duration
	Processed    int
	Finished     bool
	Counts       string
	FirstOutcome time.Duration // as importRun's
	Err          error
}

// PerSecond is the re-import's rows/s.
func (a againRun) PerSecond() float64 { return perSecond(int64(a.Processed), a.Took) }

// managersRun is the same rows with managers, imported in managers-first
// and in managers-last order, each into a fresh tenant with fresh processes.
type managersRun struct {
	Rows        int
	First, Last importRun
}

// PerSecond is the pipeline's rows/s over the measured time.
func (r importRun) PerSecond() float64 { return perSecond(int64(r.Processed), r.Took) }

// importResult is section 3 (every size) and section 6.
type importResult struct {
	Runs         []importRun
	Managers     *managersRun
	Interference *interferenceRun
	Err          error
}

// bulkImport runs section 3 for every size of the profile, then section 6
// with the largest file.
func (b *bench) bulkImport(ctx context.Context) (res importResult) {
	var largest string
	for _, n := range b.set.ImportRows {
		path := b.artifact(fmt.Sprintf("import-%d.csv", n))
		size, err := writeImportCSV(path, n, noManagers)
		if err != nil {
			res.Err = err
			return res
		}
		b.log("import: %d rows (%.1f MiB): the pipeline", n, float64(size)/(1<<20))
		run := b.importOnce(ctx, path, n, true)
		run.FileBytes = size
		if run.Err == nil {
			b.log("import: %d rows: pgx CopyFrom of the same rows", n)
			run.Copy = b.copyBaseline(ctx, path, b.set.ImportCap)
		}
		res.Runs = append(res.Runs, run)
		if largest != "" {
			_ = os.Remove(largest)
		}
		largest = path
		if run.Err != nil {
			res.Err = run.Err
			break
		}
	}
	if res.Err == nil && len(b.set.ImportRows) > 0 {
		m := b.managersOrder(ctx, b.set.ImportRows[0])
		res.Managers = &m
	}
	if largest != "" && res.Err == nil {
		b.log("interference: API p99 idle, then during the %d-row import", b.set.ImportRows[len(b.set.ImportRows)-1])
		in := b.interference(ctx, largest, b.set.ImportRows[len(b.set.ImportRows)-1])
		res.Interference = &in
	}
	if largest != "" {
		_ = os.Remove(largest)
	}
	return res
}

// importCSVHeader is the documented default header.
const importCSVHeader = "external_id,email,given_name,family_name,display_name,department,title,manager_external_id,status\r\n"

// Manager layouts of a generated file.
const (
	noManagers = iota
	// managersFirst: teams of 10, each leader's row before its 9 reports'.
	managersFirst
	// managersLast: the same rows in reverse order, every leader after
	// its reports.
	managersLast
)

// writeImportCSV writes n rows of new users (every field the header has)
// in the manager layout and returns the file's size.
func writeImportCSV(path string, n, layout int) (int64, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	_, _ = w.WriteString(importCSVHeader)
	row := func(i int) {
		mgr := ""
		if layout != noManagers && i%10 != 1 {
			mgr = fmt.Sprintf("E%07d", i-(i-1)%10) // the team's leader: its first row
		}
		fmt.Fprintf(w, "E%07d,user%d@bench.example,Given%d,Family%d,Given%d Family%d,Dept%d,Engineer,%s,active\r\n", i, i, i, i, i, i, i%50, mgr)
	}
	for k := 1; k <= n; k++ {
		if layout == managersLast {
			row(n + 1 - k)
		} else {
			row(k)
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return 0, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return 0, err
	}
	return st.Size(), f.Close()
}

// importProcs are the two processes of the pipeline.
type importProcs struct {
	api, importer *serviceProc
}

// env are more variables for both (NAME=value).
func (b *bench) startImportProcs(ctx context.Context, label string, env ...string) (importProcs, error) {
	imp, err := b.startService(ctx, serviceEnv{Roles: "importer", LogBaseName: "service-importer-" + label, Env: env})
	if err != nil {
		return importProcs{}, err
	}
	api, err := b.startService(ctx, serviceEnv{Roles: "api", MaxConns: b.set.MaxConns, LogBaseName: "service-api-" + label, Env: env})
	if err != nil {
		_ = imp.stop()
		return importProcs{}, err
	}
	return importProcs{api: api, importer: imp}, nil
}

// stop stops both and forgets the rows still queued (a capped run's), so
// the next run's importer does not work on them.
func (b *bench) stopImportProcs(ctx context.Context, p importProcs) error {
	err := p.api.stop()
	if e := p.importer.stop(); err == nil {
		err = e
	}
	if _, e := b.pool.Exec(ctx, `DELETE FROM watermill_imports`); err == nil {
		err = e
	}
	return err
}

// importOnce times the pipeline: upload to the api process, rows applied by
// the importer process, until the job's last outcome (or the cap).
func (b *bench) importOnce(ctx context.Context, path string, n int, again bool) (run importRun) {
	run.Rows = n
	t, err := b.newTenant(ctx, fmt.Sprintf("userbench import %d", n))
	if err != nil {
		run.Err = err
		return run
	}
	procs, err := b.startImportProcs(ctx, strconv.Itoa(n))
	if err != nil {
		run.Err = err
		return run
	}
	defer func() {
		if err := b.stopImportProcs(context.WithoutCancel(ctx), procs); err != nil && run.Err == nil {
			b.log("import: stopping the processes: %v", err)
		}
	}()
	runtime.GC()
	start := time.Now()
	upload := b.upload(ctx, procs.api.base, t.Token, path)
	stopWaits := sampleWaits(ctx, b.pool, b.set.SampleEvery)
	snap := b.snapshotCPU(procs.importer.cmd.Process.Pid)
	var waitProf func() cpuProfile
	prog, err := b.waitImport(ctx, t.ID, start, b.set.ImportCap, func(p jobProgress) bool {
		// Profile the importer once it works, if there is time left.
		if waitProf == nil && p.Processed > 0 && time.Since(start)+time.Duration(b.set.ProfileSeconds+2)*time.Second < b.set.ImportCap {
			waitProf = b.profileCPU(ctx, procs.importer, fmt.Sprintf("importer-%d", n), b.set.ProfileSeconds)
		}
		return p.Finished()
	})
	run.Took = time.Since(start)
	run.Use = b.snapshotCPU(procs.importer.cmd.Process.Pid).since(snap, runtime.NumCPU())
	run.Waits = stopWaits()
	run.Processed, run.Finished, run.Counts, run.FirstOutcome = prog.Processed, prog.Finished(), prog.Counts, prog.FirstOutcome
	run.ImporterKB, run.APIKB = peakRSS(procs.importer.cmd.Process.Pid), peakRSS(procs.api.cmd.Process.Pid)
	if waitProf != nil {
		p := waitProf()
		run.Profile = &p
	}
	if err != nil {
		run.Err = err
		return run
	}
	select {
	case u := <-upload:
		run.Upload = u.took
		if u.err != nil && run.Finished {
			run.Err = u.err
		}
	case <-time.After(time.Second):
		run.Upload = -1 // still queueing at the cap
	}
	if run.Finished && prog.Created != n {
		run.Err = fmt.Errorf("the job created %d users of %d rows (%s)", prog.Created, n, prog.Counts)
	}
	if run.Finished && run.Err == nil && again {
		run.Again = b.importAgain(ctx, procs, t, path, n)
	}
	return run
}

// importAgain imports the same file into the same tenant again: a nightly
// sync of an unchanged HR export, every row unchanged.
func (b *bench) importAgain(ctx context.Context, procs importProcs, t tenant, path string, n int) *againRun {
	b.log("import: %d rows again, unchanged", n)
	start := time.Now()
	upload := b.upload(ctx, procs.api.base, t.Token, path)
	prog, err := b.waitImport(ctx, t.ID, start, b.set.ImportCap, func(p jobProgress) bool { return p.Finished() })
	a := &againRun{Took: time.Since(start), Processed: prog.Processed, Finished: prog.Finished(), Counts: prog.Counts, FirstOutcome: prog.FirstOutcome, Err: err}
	if u := <-upload; u.err != nil && a.Err == nil {
		a.Err = u.err
	}
	if a.Finished && a.Err == nil && prog.Unchanged != n {
		a.Err = fmt.Errorf("the re-import left %d of %d rows unchanged (%s)", prog.Unchanged, n, prog.Counts)
	}
	return a
}

// managersOrder imports n rows with managers twice: managers first, then
// the same rows with every manager after its reports.
func (b *bench) managersOrder(ctx context.Context, n int) managersRun {
	m := managersRun{Rows: n}
	for _, l := range []struct {
		layout int
		name   string
		into   *importRun
	}{{managersFirst, "managers-first", &m.First}, {managersLast, "managers-last", &m.Last}} {
		path := b.artifact(fmt.Sprintf("import-%s-%d.csv", l.name, n))
		size, err := writeImportCSV(path, n, l.layout)
		if err != nil {
			l.into.Err = err
			continue
		}
		b.log("import: %d rows, %s", n, l.name)
		*l.into = b.importOnce(ctx, path, n, false)
		l.into.FileBytes = size
		_ = os.Remove(path)
	}
	return m
}

type uploadDone struct {
	took time.Duration
	err  error
}

// upload posts the file to /v1/imports in the background; the answer comes
// once every row is queued.
func (b *bench) upload(ctx context.Context, base, token, path string) <-chan uploadDone {
	done := make(chan uploadDone, 1)
	go func() {
		start := time.Now()
		f, err := os.Open(path)
		if err != nil {
			done <- uploadDone{err: err}
			return
		}
		defer f.Close()
		err = postCSV(ctx, base, token, f)
		done <- uploadDone{took: time.Since(start), err: err}
	}()
	return done
}

// jobProgress is the state of the tenant's (only) import job.
type jobProgress struct {
	Status    string
	Total     *int
	Processed int
	Created   int
	Unchanged int
	Counts    string
	// FirstOutcome is when the first row had an outcome, from the start
	// waitImport was given (0 while none has): what the upload and the
	// importer's start-up cost before the first chunk is applied.
	FirstOutcome time.Duration
}

// Finished reports whether the job has ended.
func (p jobProgress) Finished() bool {
	return p.Status == "completed" || p.Status == "completed_with_errors" || p.Status == "failed"
}

const jobProgressSQL = `
SELECT j.status, j.total, coalesce(sum(c.created_rows), 0), coalesce(sum(c.updated_rows), 0), coalesce(sum(c.unchanged_rows), 0),
       coalesce(sum(c.skipped_rows), 0), coalesce(sum(c.rejected_rows), 0), coalesce(sum(c.parked_rows), 0)
FROM import_jobs j LEFT JOIN import_job_counts c ON c.job_id = j.id
WHERE j.tenant_id = $1 AND j.created_at >= $2 GROUP BY j.id, j.status, j.total ORDER BY min(j.created_at) DESC LIMIT 1`

// waitImport polls the tenant's job every 200 ms until done says so or
// limit has passed since start.
func (b *bench) waitImport(ctx context.Context, tenantID string, start time.Time, limit time.Duration, done func(jobProgress) bool) (jobProgress, error) {
	var p jobProgress
	lastLog := time.Now()
	for {
		var c [6]int
		// The tenant's job started since start (a re-import's, not the first).
		err := b.pool.QueryRow(ctx, jobProgressSQL, tenantID, start).Scan(&p.Status, &p.Total, &c[0], &c[1], &c[2], &c[3], &c[4], &c[5])
		if err != nil && !strings.Contains(err.Error(), "no rows") {
			return p, fmt.Errorf("import progress: %w", err)
		}
		p.Created, p.Unchanged, p.Processed = c[0], c[2], c[0]+c[1]+c[2]+c[3]+c[4]+c[5]
		p.Counts = fmt.Sprintf("created %d, updated %d, unchanged %d, skipped %d, rejected %d, parked %d", c[0], c[1], c[2], c[3], c[4], c[5])
		if p.FirstOutcome == 0 && p.Processed > 0 {
			p.FirstOutcome = time.Since(start)
		}
		if done(p) || time.Since(start) >= limit {
			return p, nil
		}
		if time.Since(lastLog) > 15*time.Second {
			b.log("import: %d rows processed after %s (%.0f rows/s), status %s", p.Processed, time.Since(start).Round(time.Second),
				perSecond(int64(p.Processed), time.Since(start)), p.Status)
			lastLog = time.Now()
		}
		select {
		case <-ctx.Done():
			return p, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// peakRSS is a process's peak resident set size in KiB (VmHWM).
func peakRSS(pid int) int64 {
	kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(firstField(fmt.Sprintf("/proc/%d/status", pid), "VmHWM")), " kB"), 10, 64)
	return kb
}

// postCSV streams a CSV file to POST /v1/imports, without a client timeout
// (the answer comes once every row is queued).
func postCSV(ctx context.Context, base, token string, body io.Reader) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/v1/imports", body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "text/csv")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("POST /v1/imports: status %d: %s", resp.StatusCode, strings.TrimSpace(string(msg)))
	}
	return nil
}
