package main

import (
	"context"
	"fmt"

	"github.com/userservice/userservice/adapters/postgres"
)

// migrate applies the pending migrations and prints their names, or "up to
// date". Concurrent runs are safe: postgres.Migrate serialises them.
func migrate(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("migrate")
	if err := parseFlags(fs, args, e); err != nil {
		return err
	}
	pool, err := connect(ctx, e)
	if err != nil {
		return err
	}
	defer pool.Close()
	applied, err := postgres.Migrate(ctx, pool)
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Fprintln(e.stdout, "up to date")
		return nil
	}
	for _, name := range applied {
		fmt.Fprintf(e.stdout, "applied %s\n", name)
	}
	return nil
}
