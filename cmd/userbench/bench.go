package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/userservice/userservice/adapters/postgres"
	"github.com/userservice/userservice/app"
	"github.com/userservice/userservice/app/auth"
	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/cmd/internal/service"
)

// bench is one benchmark run: its own freshly created database (so figures
// do not depend on what earlier runs or other people's tests left behind,
// and no other relay ever sees the benchmark's outbox rows), a pool on it,
// and the settings.
type bench struct {
	opts  options
	set   settings
	dbURL string // the benchmark database
	pool  *pgxpool.Pool
	app   app.Application
	log   func(format string, args ...any)
	// emails numbers the users the benchmark creates.
	emails atomic.Int64
	// cleanups run at close, last first (consumer groups, topics); dropDB
	// runs after the pool is closed.
	cleanups []func(context.Context) error
	dropDB   func(context.Context) error
}

// newBench recreates the benchmark database, applies the migrations and
// opens a pool on it.
func newBench(ctx context.Context, opts options, set settings, log func(string, ...any)) (*bench, error) {
	dbURL, err := withDatabase(opts.databaseURL, opts.benchDB)
	if err != nil {
		return nil, err
	}
	b := &bench{opts: opts, set: set, dbURL: dbURL, log: log}
	if err := b.recreateDatabase(ctx); err != nil {
		return nil, err
	}
	pool, err := postgres.Connect(ctx, dbURL, 8)
	if err != nil {
		return nil, err
	}
	b.pool = pool
	if _, err := postgres.Migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, fmt.Errorf("migrate %s: %w", opts.benchDB, err)
	}
	keys, err := b.personalKeys()
	if err != nil {
		pool.Close()
		return nil, err
	}
	if b.app, err = service.Build(pool, service.Options{PersonalData: keys}); err != nil {
		pool.Close()
		return nil, err
	}
	return b, nil
}

// withDatabase is databaseURL pointing at database name.
func withDatabase(databaseURL, name string) (string, error) {
	u, err := url.Parse(databaseURL)
	if err != nil || u.Scheme == "" {
		return "", fmt.Errorf("DATABASE_URL %q: want a postgres:// URL", databaseURL)
	}
	u.Path = "/" + name
	return u.String(), nil
}

// recreateDatabase drops and creates the benchmark database through the
// service's own database (the role may create databases: see
// scripts/postgres-up.sh).
func (b *bench) recreateDatabase(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, b.opts.databaseURL)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", b.opts.databaseURL, err)
	}
	defer conn.Close(ctx)
	ident := pgx.Identifier{b.opts.benchDB}.Sanitize()
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop benchmark database: %w", err)
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+ident); err != nil {
		return fmt.Errorf("create benchmark database: %w", err)
	}
	if !b.opts.keepDB {
		b.dropDB = func(ctx context.Context) error {
			conn, err := pgx.Connect(ctx, b.opts.databaseURL)
			if err != nil {
				return err
			}
			defer conn.Close(ctx)
			_, err = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)")
			return err
		}
	}
	return nil
}

func (b *bench) onClose(f func(context.Context) error) { b.cleanups = append(b.cleanups, f) }

// close runs the cleanups (last registered first), closes the pool and
// drops the database unless it is to be kept.
func (b *bench) close(ctx context.Context) error {
	var errs []error
	for i := len(b.cleanups) - 1; i >= 0; i-- {
		errs = append(errs, b.cleanups[i](ctx))
	}
	if b.pool != nil {
		b.pool.Close()
	}
	if b.dropDB != nil {
		errs = append(errs, b.dropDB(ctx))
	}
	return errors.Join(errs...)
}

// tenant is a benchmark tenant and an admin token for it.
type tenant struct {
	ID, Token string
}

// newTenant creates a tenant with seats to spare through the application's
// handlers, as usersctl does, and issues an admin token.
func (b *bench) newTenant(ctx context.Context, name string) (tenant, error) {
	t, err := b.app.Commands.CreateTenant.Handle(ctx, command.CreateTenant{Name: name, Seats: 100_000_000})
	if err != nil {
		return tenant{}, fmt.Errorf("create tenant %s: %w", name, err)
	}
	tok, err := b.app.Commands.IssueToken.Handle(ctx, command.IssueToken{TenantID: t.ID, Role: auth.RoleAdmin})
	if err != nil {
		return tenant{}, fmt.Errorf("token for tenant %s: %w", name, err)
	}
	return tenant{ID: t.ID, Token: tok.Plaintext}, nil
}

// artifact is a path in the run's artifacts directory.
func (b *bench) artifact(name string) string {
	return filepath.Join(b.opts.artifacts, strings.ReplaceAll(name, " ", "_"))
}
