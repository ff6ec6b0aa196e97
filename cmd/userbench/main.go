// Command userbench measures userservice against baselines run on the same
// machine in the same run, and writes the figures to BENCHMARKS.md: the
// HTTP command path against pgbench running the same transaction, no-op
// against real updates, and the outbox relay against raw Kafka producers
// (with commit-to-consume latency). Sections whose code has not landed yet
// are reported as such. `make bench` and `make bench-quick` run it through
// scripts/bench.sh, which starts the services and builds the binaries.
//
// Exit codes: 0 when every section ran, 1 when one failed (the report says
// which), 2 for a usage error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/userservice/userservice/cmd/internal/config"
)

// options are userbench's flags.
type options struct {
	profile      string
	serviceBin   string
	usersctlBin  string
	databaseURL  string
	benchDB      string
	kafkaBrokers string
	pgbench      string
	goBin        string
	out          string
	artifacts    string
	repo         string
	sections     map[string]bool
	keepDB       bool
	replayEvents int
	command      string
	// masterKeys is MASTER_KEYS for every process of the run (-encrypt;
	// see encrypt.go); "" runs without encryption.
	masterKeys string
	// importRows, when set (-import-rows), replaces the profile's import
	// sizes: a smoke of the import sections at the sizes a target names.
	importRows []int
	// latencyRate, when set (-latency-rate), is the events/s section 4's
	// latency window asks for instead of half the drain rate.
	latencyRate float64
}

func (b *bench) brokers() []string {
	var out []string
	for s := range strings.SplitSeq(b.opts.kafkaBrokers, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.LookupEnv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func parseOptions(args []string, lookupEnv func(string) (string, bool), stderr io.Writer) (options, error) {
	env := func(name, def string) string {
		if v, ok := lookupEnv(name); ok && v != "" {
			return v
		}
		return def
	}
	fs := flag.NewFlagSet("userbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.StringVar(&o.profile, "profile", "quick", "smoke (tiny sizes: does a section run?), quick (a few minutes) or full (~30 minutes)")
	fs.StringVar(&o.serviceBin, "service-bin", "", "the userservice binary to benchmark, built with the pprof hook (required)")
	fs.StringVar(&o.usersctlBin, "usersctl-bin", "", "the usersctl binary, for the replay section (required for it)")
	fs.StringVar(&o.databaseURL, "database-url", env("DATABASE_URL", config.DefaultDatabaseURL), "PostgreSQL; the benchmark creates its own database beside this one")
	fs.StringVar(&o.benchDB, "bench-db", "userservice_bench", "name of the benchmark's database (dropped and created)")
	fs.StringVar(&o.kafkaBrokers, "kafka-brokers", env("KAFKA_BROKERS", "127.0.0.1:9092"), "Kafka bootstrap brokers")
	fs.StringVar(&o.pgbench, "pgbench", "", "pgbench binary (default: on PATH, else /usr/lib/postgresql/*/bin/pgbench)")
	fs.StringVar(&o.goBin, "go", "go", "go binary, for `go tool pprof`")
	fs.StringVar(&o.out, "out", "BENCHMARKS.md", "report file (the generated part is replaced)")
	fs.StringVar(&o.artifacts, "artifacts", "", "directory for profiles, logs and pgbench logs (default .cache/bench/<time>)")
	fs.StringVar(&o.repo, "repo", ".", "repository root")
	sections := fs.String("sections", "command,change,relay,replay,import,encryption", "sections to run (import is sections 3 and 6; encryption is 7; latency is section 4's commit-to-consume latency alone)")
	fs.BoolVar(&o.keepDB, "keep-db", false, "keep the benchmark database after the run")
	fs.IntVar(&o.replayEvents, "replay-events", 0, "events the replay section generates (default: the profile's), e.g. 1000000 to smoke-test section 5 at the full run's size")
	fs.StringVar(&o.command, "command", "", "the command that reproduces this run, for the report")
	importRows := fs.String("import-rows", "", "import sizes instead of the profile's, e.g. 20000,100000 (the largest is also the interference window's import)")
	fs.Float64Var(&o.latencyRate, "latency-rate", 0, "events/s asked in section 4's latency window under load (default: half the drain rate measured in the same run)")
	encrypt := fs.Bool("encrypt", false, "encrypt personal data (a fresh master key for the run): compare with a run without")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if *encrypt {
		keys, err := benchMasterKeys()
		if err != nil {
			return o, err
		}
		o.masterKeys = keys
	}
	var problems []string
	if o.serviceBin == "" {
		problems = append(problems, "-service-bin is required")
	}
	if _, err := profileSettings(o.profile); err != nil {
		problems = append(problems, err.Error())
	}
	o.sections = parseSections(*sections, &problems)
	o.importRows = positiveList("-import-rows", *importRows, &problems)
	if o.latencyRate < 0 {
		problems = append(problems, "-latency-rate must not be negative")
	}
	if o.sections["replay"] && o.usersctlBin == "" {
		problems = append(problems, "-usersctl-bin is required for the replay section")
	}
	if o.pgbench == "" {
		o.pgbench = findPgbench()
	}
	if o.artifacts == "" {
		o.artifacts = filepath.Join(o.repo, ".cache", "bench", time.Now().Format("20060102-150405"))
	}
	if o.command == "" {
		o.command = "userbench " + strings.Join(args, " ")
	}
	if len(problems) > 0 {
		return o, errors.New(strings.Join(problems, "; "))
	}
	return o, nil
}

func findPgbench() string {
	if p, err := exec.LookPath("pgbench"); err == nil {
		return p
	}
	if m, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pgbench"); len(m) > 0 {
		return m[len(m)-1]
	}
	return "pgbench"
}

// run is main without the exit; it returns the exit code.
func run(ctx context.Context, args []string, lookupEnv func(string) (string, bool), stdout, stderr io.Writer) int {
	opts, err := parseOptions(args, lookupEnv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "userbench: %v\n", err)
		return 2
	}
	set, _ := profileSettings(opts.profile)
	opts.override(&set)
	if err := os.MkdirAll(opts.artifacts, 0o755); err != nil {
		fmt.Fprintf(stderr, "userbench: %v\n", err)
		return 1
	}
	logf := func(format string, args ...any) {
		fmt.Fprintf(stderr, "[userbench %s] %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
	}
	started := time.Now()
	b, err := newBench(ctx, opts, set, logf)
	if err != nil {
		fmt.Fprintf(stderr, "userbench: %v\n", err)
		return 1
	}
	rep := report{Set: set, Started: started, Command: opts.command, Machine: b.describeMachine(ctx), Encryption: opts.encryptionLabel()}
	failed := false
	if opts.sections["command"] {
		c := b.commandPath(ctx)
		rep.Cmd, failed = &c, failed || c.Err != nil
	}
	if opts.sections["change"] {
		c := b.changeDetection(ctx)
		rep.Change, failed = &c, failed || c.Err != nil
	}
	if r := b.relaySection(ctx); r != nil {
		rep.Relay, failed = r, failed || r.Err != nil
	}
	rep.Pending = pendingSections(opts.repo)
	if opts.sections["replay"] && replayLanded(opts.repo) {
		r := b.replay(ctx)
		rep.Replay, failed = &r, failed || r.Err != nil
	}
	// Last: the imports leave large tables behind.
	if opts.sections["import"] && importWired(opts.repo) {
		r := b.bulkImport(ctx)
		rep.Import, failed = &r, failed || r.Err != nil
	}
	// After the imports too: its own imports add as many users again.
	b.runEncryptionSection(ctx, &rep, &failed)
	rep.Machine.LoadEnd = loadAvg()
	if err := b.close(context.WithoutCancel(ctx)); err != nil {
		logf("cleanup: %v", err)
	}
	rep.Took = time.Since(started)
	md := rep.markdown()
	fmt.Fprintln(stdout, md)
	if err := writeReport(opts.out, md); err != nil {
		fmt.Fprintf(stderr, "userbench: write %s: %v\n", opts.out, err)
		return 1
	}
	logf("figures written to %s; profiles and logs in %s", opts.out, opts.artifacts)
	if failed || ctx.Err() != nil {
		return 1
	}
	return 0
}

// relaySection runs section 4 whole (-sections relay), or its latency part
// alone (-sections latency), or nothing.
func (b *bench) relaySection(ctx context.Context) *relayResult {
	var r relayResult
	switch {
	case b.opts.sections["relay"]:
		r = b.relay(ctx)
	case b.opts.sections["latency"]:
		r = b.relayLatencyOnly(ctx)
	default:
		return nil
	}
	return &r
}

// override replaces the profile's sizes with those given as flags.
func (o options) override(set *settings) {
	if o.replayEvents > 0 {
		set.ReplayEvents = o.replayEvents
	}
	if len(o.importRows) > 0 {
		set.ImportRows = o.importRows
	}
}

// parseSections parses -sections, adding unknown names to problems.
func parseSections(list string, problems *[]string) map[string]bool {
	out := map[string]bool{}
	for s := range strings.SplitSeq(list, ",") {
		switch s = strings.TrimSpace(s); s {
		case "command", "change", "relay", "latency", "replay", "import", "encryption":
			out[s] = true
		case "":
		default:
			*problems = append(*problems, fmt.Sprintf("-sections: unknown section %q", s))
		}
	}
	return out
}

// positiveList parses the flag's "20000,100000" (empty: none), adding
// what is not a positive number to problems.
func positiveList(flag, s string, problems *[]string) []int {
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			*problems = append(*problems, fmt.Sprintf("%s: %q is not a positive number", flag, f))
			continue
		}
		out = append(out, n)
	}
	return out
}
