package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"
)

// The command tree is cobra's (per-command help, `help COMMAND`, shell
// completion with `usersctl completion bash|zsh|fish|powershell`), the
// convention of Go CLIs. Each leaf still parses its own flags with the flag
// package, as before the tree was cobra's: its flags, validation and messages
// stay where its code is, and `-tenant`, `--tenant X` and `--tenant=X` all keep
// working. So cobra does not parse a leaf's flags (DisableFlagParsing); it learns
// them, for help and completion, by running the leaf against a flagProbe, which
// stops the leaf at its flag parsing (see probed).

// leaf is one leaf command: it parses its own flags from args.
type leaf func(ctx context.Context, args []string, e env) error

// leafCommand is a leaf in the tree; use is cobra's Use line (name and
// arguments), short its one-line description.
func leafCommand(use, short string, run leaf, e env) *cobra.Command {
	cmd := &cobra.Command{
		Use:                use,
		Short:              short,
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if helpAsked(args) {
				return cmd.Help()
			}
			return run(cmd.Context(), args, e)
		},
	}
	if !strings.Contains(use, "FILE") {
		// Only import takes a file; elsewhere completion offers flags, not file names.
		cmd.ValidArgsFunction = cobra.NoFileCompletions
	}
	probe := &flagProbe{}
	_ = run(context.Background(), []string{"--help"}, env{stdout: io.Discard, stderr: probe, lookupEnv: func(string) (string, bool) { return "", false }})
	if probe.fs != nil {
		probe.fs.VisitAll(func(f *flag.Flag) { addDisplayFlag(cmd, f) })
	}
	return cmd
}

// helpAsked reports a help flag before the first "--".
func helpAsked(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--help":
			return true
		}
	}
	return false
}

// groupCommand is a command that only holds subcommands (tenant, token, ...):
// run without one, or with an unknown one, it is a usage error, as before.
func groupCommand(name, short string, subs ...*cobra.Command) *cobra.Command {
	cmd := &cobra.Command{
		Use:   name + " SUBCOMMAND",
		Short: short,
		Args:  cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError("%s: no subcommand given", name)
			}
			if helpAsked(args) {
				return cmd.Help()
			}
			return usageError("%s: unknown subcommand %q", name, args[0])
		},
	}
	cmd.AddCommand(subs...)
	return cmd
}

// newRoot builds the command tree for one run.
func newRoot(e env) *cobra.Command {
	root := &cobra.Command{
		Use:           "usersctl",
		Short:         "administer the user service",
		SilenceErrors: true, // run prints errors, and the usage text for usage errors
		SilenceUsage:  true,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageError("unknown command %q", args[0])
			}
			return nil
		},
		RunE: func(*cobra.Command, []string) error { return usageError("no command given") },
	}
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError("%v", err) })
	defaultHelp := root.HelpFunc()
	root.SetHelpFunc(func(cmd *cobra.Command, args []string) {
		if cmd == root {
			fmt.Fprint(cmd.OutOrStdout(), usage)
			return
		}
		defaultHelp(cmd, args)
	})
	root.AddCommand(
		leafCommand("migrate", "apply pending database migrations", migrate, e),
		groupCommand("tenant", "manage tenants",
			leafCommand("create", "create a tenant; prints its id", tenantCreate, e)),
		groupCommand("token", "manage API tokens",
			leafCommand("create", "issue an API token; prints the token (once, on stdout) and its id (on stderr)", tokenCreate, e),
			leafCommand("revoke", "revoke an API token", tokenRevoke, e)),
		leafCommand("import FILE", "import users from a CSV file; prints the job id", importCmd, e),
		groupCommand("imports", "look at and retry import jobs",
			leafCommand("show JOB", "an import job's status and counts", importsShow, e),
			leafCommand("failures JOB", "an import job's rejected rows", importsFailures, e),
			leafCommand("retry JOB", "queue an import job's parked rows again", importsRetry, e)),
		groupCommand("events", "read the events topic",
			leafCommand("tail", "print events from Kafka as they arrive", eventsTail, e)),
		leafCommand("replay", "rebuild a read model from the event store while the service runs", replay, e),
		leafCommand("republish", "send stored events to Kafka again", republishCmd, e),
		groupCommand("outbox", "the relay's parked outbox messages",
			leafCommand("parked", "list outbox messages the relay parked", outboxParked, e),
			leafCommand("retry", "send parked outbox messages again", outboxRetry, e)),
		groupCommand("user", "a user's personal data (README \"Personal data\")",
			leafCommand("erase", "erase a person's personal data", userErase, e)),
		groupCommand("keys", "the data keys of personal data",
			leafCommand("rotate", "re-wrap every data key with MASTER_KEY_ACTIVE, online", keysRotate, e),
			leafCommand("status", "data keys still wrapped by other master keys", keysStatus, e)),
		groupCommand("retention", "the retention of personal data",
			leafCommand("purge", "empty the personal data of import jobs finished long enough ago", retentionPurge, e)),
	)
	return root
}

// dispatch runs the command line through the tree.
func dispatch(ctx context.Context, args []string, e env) error {
	root := newRoot(e)
	root.SetArgs(args)
	if len(args) > 0 && slices.Contains([]string{"-help", "--help", "-h"}, args[0]) {
		root.SetArgs([]string{"help"})
	}
	return root.ExecuteContext(ctx)
}

// flagProbe is the stderr of a leaf run only to learn its flags: parseFlags
// and parseWithArgs hand it the flag set and stop the leaf there.
type flagProbe struct {
	io.Writer
	fs *flag.FlagSet
}

func (p *flagProbe) Write(b []byte) (int, error) { return len(b), nil }

// probed reports whether this run only learns the flags (and records them).
func probed(fs *flag.FlagSet, e env) bool {
	p, ok := e.stderr.(*flagProbe)
	if ok {
		p.fs = fs
	}
	return ok
}

// addDisplayFlag shows a flag package flag in cobra's help and completion.
func addDisplayFlag(cmd *cobra.Command, f *flag.Flag) {
	if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
		cmd.Flags().Bool(f.Name, f.DefValue == "true", f.Usage)
		return
	}
	typ, usage := flag.UnquoteUsage(f)
	if typ == "value" {
		typ = "string"
	}
	def := f.DefValue
	if def == "0" || def == "0s" {
		def = "" // shown by pflag as a default only when it is one
	}
	cmd.Flags().Var(&displayValue{typ: typ, val: def}, f.Name, usage)
}

// displayValue is a flag value cobra shows but never sets (it does not parse
// leaves' flags).
type displayValue struct{ typ, val string }

func (v *displayValue) String() string     { return v.val }
func (v *displayValue) Set(s string) error { v.val = s; return nil }
func (v *displayValue) Type() string       { return v.typ }
