// Command userservice runs one or more roles of the user service (api,
// importer, relay, notifier, hris-sync) in one process, configured by flags
// and environment variables; `userservice -h` lists them.
//
// Exit codes: 0 after a clean shutdown (SIGTERM/SIGINT), 1 when a role or
// the start-up fails, 2 for invalid configuration.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	// The binary carries the IANA time-zone database, so validating a user's
	// time zone does not depend on the host having /usr/share/zoneinfo.
	_ "time/tzdata"

	"go.uber.org/zap"

	"github.com/userservice/userservice/adapters/logging"
	"github.com/userservice/userservice/cmd/internal/config"
)

// newLogger is JSON unless LOG_FORMAT asks for the console encoder (auto:
// when stderr is a terminal, as under `make run`).
func newLogger(cfg config.Config, stderr io.Writer) (*zap.Logger, error) {
	human := cfg.Console.LogFormat == config.LogFormatConsole
	if cfg.Console.LogFormat == config.LogFormatAuto {
		if f, ok := stderr.(*os.File); ok {
			if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
				human = true
			}
		}
	}
	if human {
		return logging.NewHumanZap(cfg.LogLevel)
	}
	return logging.NewZap(cfg.LogLevel, false)
}

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.LookupEnv, os.Stderr))
}

// run is main without the process exit, so tests can drive it; it returns
// the exit code. Cancelling ctx acts like SIGTERM.
func run(ctx context.Context, args []string, lookupEnv func(string) (string, bool), stderr io.Writer) int {
	cfg, err := config.Load(args, lookupEnv, stderr)
	if errors.Is(err, config.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "userservice: invalid configuration:\n%v\n\nRun `userservice -h` for the settings and their defaults.\n", err)
		return 2
	}
	log, err := newLogger(cfg, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "userservice: %v\n", err)
		return 1
	}
	defer func() { _ = log.Sync() }()

	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := serveTo(ctx, cfg, log, stderr); err != nil {
		log.Error("userservice stopped with an error", zap.Error(err))
		return 1
	}
	log.Info("userservice stopped")
	return 0
}
