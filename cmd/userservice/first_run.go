package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/userservice/userservice/adapters/postgres"
	"github.com/userservice/userservice/app"
	"github.com/userservice/userservice/app/auth"
	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/cmd/internal/config"
	"github.com/userservice/userservice/ports/console"
)

// demoSeats is the demo tenant's licence seats: enough to try imports,
// few enough to see the seat limit.
const demoSeats = 50

// demoTokenTTL is the demo admin token's lifetime (usersctl's default).
const demoTokenTTL = 720 * time.Hour

// firstRun is `make run`'s welcome (DEMO_ON_EMPTY_DATABASE): on a database
// without tenants it creates a demo tenant and an admin token and prints the
// console's URL with the token, once (the token is stored hashed, so it can
// never be printed again); on later runs it prints the URL and how to get a
// token.
func firstRun(ctx context.Context, pool *pgxpool.Pool, application app.Application, cfg config.Config, out io.Writer) error {
	url := consoleURL(cfg.HTTPAddr)
	if cfg.PublicBaseURL != "" {
		url = cfg.PublicBaseURL + console.Prefix
	}
	exists, err := postgres.AnyTenant(ctx, pool)
	if err != nil {
		return err
	}
	if exists {
		fmt.Fprintf(out, "\n  Admin console: %s\n  Sign in with a token: go run ./cmd/usersctl token create --tenant TENANT --role admin\n\n", url)
		return nil
	}
	t, err := application.Commands.CreateTenant.Handle(ctx, command.CreateTenant{Name: "Demo", Seats: demoSeats})
	if err != nil {
		return fmt.Errorf("first run: demo tenant: %w", err)
	}
	tok, err := application.Commands.IssueToken.Handle(ctx, command.IssueToken{TenantID: t.ID, Role: auth.RoleAdmin, TTL: demoTokenTTL})
	if err != nil {
		return fmt.Errorf("first run: demo token: %w", err)
	}
	fmt.Fprintf(out, "\n  First run: created the tenant \"Demo\" (%s, %d seats).\n"+
		"  Admin console: %s\n  Sign-in token (admin; shown this once): %s\n\n", t.ID, demoSeats, url, tok.Plaintext)
	return nil
}

// consoleURL is where a browser on this machine reaches the console.
func consoleURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr + console.Prefix
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + console.Prefix
}
