package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/schollz/progressbar/v3"

	"github.com/userservice/userservice/adapters/postgres"
	"github.com/userservice/userservice/adapters/projection"
	"github.com/userservice/userservice/cmd/internal/config"
)

// replayUsage is the help text of `usersctl replay`, for main.go's usage.
const replayUsage = `  replay --projection NAME [--tenant ID] [--verify]
                                                   rebuild a read model (users) from the events
                                                   while the service runs, then swap it in;
                                                   --verify reports differences instead
                                                   (exit 1 if any); progress goes to stderr;
                                                   an interrupted replay resumes when re-run`

// rebuildTargets are the read models replay can rebuild, by name.
func rebuildTargets() map[string]projection.Target {
	users := postgres.NewUsersRebuild()
	return map[string]projection.Target{users.Name(): users}
}

// maxListedDifferences bounds what --verify prints; the count is exact.
const maxListedDifferences = 100

// replay rebuilds a read model: see projection.Rebuilder.
func replay(ctx context.Context, args []string, e env) error {
	targets := rebuildTargets()
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range targets {
			if !yield(n) {
				return
			}
		}
	})
	fs := newFlagSet("replay")
	name := fs.String("projection", "", "the read model to rebuild: "+strings.Join(names, ", ")+" (required)")
	tenant := fs.String("tenant", "", "rebuild only this tenant's part of it (default: every tenant)")
	verify := fs.Bool("verify", false, "compare the rebuilt model with the live one and report the differences, instead of swapping")
	batch := fs.Int("batch", 5000, "events per transaction")
	if err := parseFlags(fs, args, e); err != nil {
		return err
	}
	var problems []string
	target, ok := targets[*name]
	switch {
	case *name == "":
		problems = append(problems, "--projection is required ("+strings.Join(names, ", ")+")")
	case !ok:
		problems = append(problems, fmt.Sprintf("--projection %q: want one of %s", *name, strings.Join(names, ", ")))
	}
	if *tenant != "" {
		if err := checkUUID("--tenant", *tenant); err != nil {
			problems = append(problems, err.Error())
		}
	}
	if *batch < 1 {
		problems = append(problems, fmt.Sprintf("--batch must be positive, got %d", *batch))
	}
	if len(problems) > 0 {
		return usageError("replay: %s", strings.Join(problems, "; "))
	}

	// The bulk load allocates a little for every event and keeps little:
	// collecting less often cut its CPU time by a quarter (measured with
	// TestRebuildRate), for a heap of some tens of MB.
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	// One connection holds the advisory lock, one reads the snapshot, one
	// writes the shadow.
	pool, err := connectPool(ctx, e, 4)
	if err != nil {
		return err
	}
	defer pool.Close()
	what := *name + " (every tenant)"
	if *tenant != "" {
		what = *name + " (tenant " + *tenant + ")"
	}
	keys, err := personalKeys(e)
	if err != nil {
		return err
	}
	bar := newProgressBar(e.stderr, "replay "+*name)
	r, err := projection.NewRebuilder(pool, target, projection.RebuildConfig{TenantID: *tenant, Verify: *verify,
		BatchSize: *batch, Progress: bar.rebuild, ProgressInterval: bar.interval, Opener: eventOpener(keys)})
	if err != nil {
		return err
	}
	res, err := r.Run(ctx)
	bar.finish()
	if errors.Is(err, projection.ErrRebuildRunning) {
		return fmt.Errorf("replay: %w", err)
	}
	if err != nil {
		return fmt.Errorf("replay %s: %w (run it again: it resumes where it stopped)", what, err)
	}
	printReplay(e.stdout, what, *verify, res)
	if *verify && len(res.Differences) > 0 {
		return fmt.Errorf("verify %s: %d differences between the rebuilt and the live model", what, len(res.Differences))
	}
	return nil
}

func printReplay(w io.Writer, what string, verify bool, res projection.RebuildResult) {
	resumed := ""
	if res.Resumed {
		resumed = ", resuming an interrupted replay"
	}
	fmt.Fprintf(w, "rebuilt %s from %d events (%d rows) in %s, %s%s; %d events written meanwhile caught up\n",
		what, res.BulkEvents, res.BulkRows, res.BulkElapsed.Round(time.Millisecond), rate(res.BulkEvents, res.BulkElapsed),
		resumed, res.CatchUpEvents)
	if verify {
		if len(res.Differences) == 0 {
			fmt.Fprintln(w, "verify: no differences: the live model is what the events say")
			return
		}
		for i, d := range res.Differences {
			if i == maxListedDifferences {
				fmt.Fprintf(w, "... and %d more\n", len(res.Differences)-i)
				break
			}
			fmt.Fprintf(w, "%-10s tenant %s user %s: %s\n", d.Kind, d.TenantID, d.StreamID, d.Detail)
		}
		return
	}
	fmt.Fprintf(w, "swapped in: %d rows differed; %d missing rows restored before the lock, then %d deleted and %d inserted under it; writers held back %s; done in %s\n",
		len(res.Differences), res.Restored, res.Deleted, res.Inserted, res.LockHeld.Round(time.Millisecond), res.Elapsed.Round(time.Millisecond))
}

func rate(n int64, d time.Duration) string {
	if d <= 0 {
		return "- events/s"
	}
	return fmt.Sprintf("%.0f events/s", float64(n)/d.Seconds())
}

// connectPool opens a pool of conns connections on DATABASE_URL.
func connectPool(ctx context.Context, e env, conns int32) (*pgxpool.Pool, error) {
	url, err := config.DatabaseURL(e.lookupEnv)
	if err != nil {
		return nil, usageError("%v", err)
	}
	ctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	return postgres.Connect(ctx, url, conns)
}

// progressBar draws progress on stderr with github.com/schollz/progressbar
// (the library usersctl import's progress uses too): one redrawn line on a
// terminal; elsewhere (a log, a CI job) a plain line every few seconds, as
// the library only redraws one line with carriage returns. A new phase
// (copy, catch-up...) or a grown total starts a new bar.
type progressBar struct {
	w        io.Writer
	label    string
	tty      bool
	interval time.Duration
	phase    string
	total    int64
	bar      *progressbar.ProgressBar
}

func newProgressBar(w io.Writer, label string) *progressBar {
	b := &progressBar{w: w, label: label, interval: 5 * time.Second}
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			b.tty, b.interval = true, 200*time.Millisecond
		}
	}
	return b
}

func (b *progressBar) rebuild(p projection.Progress) {
	b.draw(p.Phase, p.Done, p.Total, p.Rate, p.ETA)
}

// draw shows done of total events (total 0: unknown) in phase. On a
// terminal the library measures the rate and predicts the end itself; a log
// line carries the caller's figures.
func (b *progressBar) draw(phase string, done, total int64, rate float64, eta time.Duration) {
	if !b.tty {
		line := fmt.Sprintf("%s %-8s %d events  %.0f events/s", b.label, phase, done, rate)
		if total > 0 {
			line = fmt.Sprintf("%s %-8s %3.0f%% %d/%d events  %.0f events/s  ETA %s", b.label, phase,
				min(float64(done)/float64(total), 1)*100, done, total, rate, eta.Round(time.Second))
		}
		fmt.Fprintln(b.w, line)
		return
	}
	if b.bar == nil || phase != b.phase || total > b.total {
		b.finish()
		b.phase, b.total = phase, total
		limit := total
		if limit <= 0 {
			limit = -1 // unknown: a spinner with the count
		}
		b.bar = progressbar.NewOptions64(limit,
			progressbar.OptionSetWriter(b.w),
			progressbar.OptionSetDescription(fmt.Sprintf("%s %-8s", b.label, phase)),
			progressbar.OptionSetWidth(30),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("events"),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionSetTheme(progressbar.ThemeASCII),
			// No ticker goroutine for the spinner of an unknown total: it
			// renders on its own until the bar is finished, so it raced the
			// line finish writes (found by the race detector); the spinner
			// turns on each update instead.
			progressbar.OptionSetSpinnerChangeInterval(0),
		)
	}
	_ = b.bar.Set64(done) // drawing never fails the command
}

// finish ends the current bar's line on a terminal.
func (b *progressBar) finish() {
	if b.bar != nil && b.tty {
		_ = b.bar.Exit()
		fmt.Fprintln(b.w)
	}
	b.bar = nil
}
