// Command usersctl administers the user service: it applies the database
// migrations, manages tenants and their API tokens, and imports users from
// CSV files. It writes through the
// same application handlers as the service (never raw SQL) and reads
// DATABASE_URL like the service does.
//
// Exit codes: 0 on success, 1 when the operation failed, 2 for a usage error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/userservice/userservice/adapters/postgres"
	"github.com/userservice/userservice/cmd/internal/config"
)

const usage = `Usage: usersctl <command> [flags]

Commands:
  migrate                                          apply pending database migrations
  tenant create --name NAME --seats N              create a tenant; prints its id
  token create --tenant ID --role ROLE [--ttl D]   issue an API token; prints the token
                                                   (once, on stdout) and its id (on stderr)
                                                   ROLE is admin, importer or reader;
                                                   --ttl defaults to 720h, 0 = never expires
  token revoke --tenant ID --token-id ID           revoke an API token
` + importUsage + `
` + eventsTailUsage + `
` + replayUsage + `
` + republishUsage + `
` + outboxUsage + `
` + personalDataUsage + `
  completion bash|zsh|fish|powershell              print a shell completion script, e.g.
                                                   source <(usersctl completion bash)

Environment:
  DATABASE_URL   PostgreSQL connection string
                 (default ` + config.DefaultDatabaseURL + `)
  KAFKA_BROKERS  Kafka brokers for events tail and republish (default 127.0.0.1:9092)

Run 'usersctl <command> --help' or 'usersctl help <command>' for a command's flags.
`

// usageErr is a usage error (exit code 2): the command line is wrong, and
// the message says how.
type usageErr struct{ msg string }

func (e usageErr) Error() string { return e.msg }

func usageError(format string, args ...any) error {
	return usageErr{msg: fmt.Sprintf(format, args...)}
}

// env is what a command gets: its streams and a way to the database.
type env struct {
	stdout, stderr io.Writer
	lookupEnv      func(string) (string, bool)
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], env{stdout: os.Stdout, stderr: os.Stderr, lookupEnv: os.LookupEnv})
	stop()
	os.Exit(code)
}

// run is main without the process exit; it returns the exit code.
func run(ctx context.Context, args []string, e env) int {
	err := dispatch(ctx, args, e)
	var uerr usageErr
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &uerr):
		fmt.Fprintf(e.stderr, "usersctl: %v\n\n%s", uerr, usage)
		return 2
	default:
		fmt.Fprintf(e.stderr, "usersctl: %v\n", err)
		return 1
	}
}

// eventsTail runs `events tail`, taking the brokers from KAFKA_BROKERS unless
// --brokers is given.
func eventsTail(ctx context.Context, args []string, e env) error {
	if v, ok := e.lookupEnv("KAFKA_BROKERS"); ok && v != "" {
		args = append([]string{"--brokers=" + v}, args...) // a later --brokers wins
	}
	return runEventsTail(ctx, args, e.stdout, e.stderr)
}

// newFlagSet returns a flag set that stays quiet on errors: parseFlags
// reports them once, as usage errors naming the flag (the flag package's
// message does), followed by the usage text.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

func parseFlags(fs *flag.FlagSet, args []string, e env) error {
	if probed(fs, e) {
		return flag.ErrHelp
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(e.stderr, "Usage of usersctl %s:\n", fs.Name())
			fs.SetOutput(e.stderr)
			fs.PrintDefaults()
			return err
		}
		return usageError("%s: %v", fs.Name(), err)
	}
	if fs.NArg() > 0 {
		return usageError("%s: unexpected arguments %q", fs.Name(), fs.Args())
	}
	return nil
}

// connectTimeout bounds the wait for PostgreSQL: a CLI should fail fast.
const connectTimeout = 10 * time.Second

// connect opens a small pool on DATABASE_URL; the caller closes it.
func connect(ctx context.Context, e env) (*pgxpool.Pool, error) {
	url, err := config.DatabaseURL(e.lookupEnv)
	if err != nil {
		return nil, usageError("%v", err)
	}
	ctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	return postgres.Connect(ctx, url, 2)
}

// given reports whether the flag was set on the command line.
func given(fs *flag.FlagSet, name string) bool {
	found := false
	fs.Visit(func(f *flag.Flag) { found = found || f.Name == name })
	return found
}
