package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/cmd/internal/service"
)

// tenantCreate creates a tenant through the CreateTenant handler and prints
// its id alone on stdout, for scripts to capture.
func tenantCreate(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("tenant create")
	name := fs.String("name", "", "the tenant's name (required)")
	seats := fs.Int("seats", 0, "licence seats: how many active users the tenant may have (required)")
	if err := parseFlags(fs, args, e); err != nil {
		return err
	}
	var problems []string
	if strings.TrimSpace(*name) == "" {
		problems = append(problems, "--name is required")
	}
	switch {
	case !given(fs, "seats"):
		problems = append(problems, "--seats is required")
	case *seats < 0:
		problems = append(problems, fmt.Sprintf("--seats must be zero or more, got %d", *seats))
	}
	if len(problems) > 0 {
		return usageError("tenant create: %s", strings.Join(problems, "; "))
	}
	pool, err := connect(ctx, e)
	if err != nil {
		return err
	}
	defer pool.Close()
	application, err := service.BuildApplication(pool, nil, nil)
	if err != nil {
		return err
	}
	t, err := application.Commands.CreateTenant.Handle(ctx, command.CreateTenant{Name: *name, Seats: *seats})
	if err != nil {
		return fmt.Errorf("tenant create: %w", err)
	}
	fmt.Fprintln(e.stdout, t.ID)
	return nil
}
