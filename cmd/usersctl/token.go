package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/userservice/userservice/adapters/postgres"
	"github.com/userservice/userservice/app/auth"
	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/cmd/internal/service"
)

// defaultTokenTTL makes tokens expire unless asked otherwise: a forgotten
// token should not stay valid for ever.
const defaultTokenTTL = 720 * time.Hour

// tokenCreate issues a token through the IssueToken handler. The token goes
// alone to stdout (shown once, never stored in plaintext), its id to stderr,
// so `TOKEN=$(usersctl token create ...)` captures just the secret.
func tokenCreate(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("token create")
	tenant := fs.String("tenant", "", "the tenant's id (required)")
	role := fs.String("role", "", "admin, importer, reader or scim (required)")
	ttl := fs.Duration("ttl", defaultTokenTTL, "lifetime, e.g. 720h; 0 = never expires")
	if err := parseFlags(fs, args, e); err != nil {
		return err
	}
	var problems []string
	if err := checkUUID("--tenant", *tenant); err != nil {
		problems = append(problems, err.Error())
	}
	r, err := auth.ParseRole(*role)
	if err != nil {
		problems = append(problems, "--role: "+err.Error())
	}
	if *ttl < 0 {
		problems = append(problems, fmt.Sprintf("--ttl must not be negative, got %s", *ttl))
	}
	if len(problems) > 0 {
		return usageError("token create: %s", strings.Join(problems, "; "))
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
	issued, err := application.Commands.IssueToken.Handle(ctx, command.IssueToken{TenantID: *tenant, Role: r, TTL: *ttl})
	if errors.Is(err, postgres.ErrTenantNotFound) {
		return fmt.Errorf("token create: --tenant %s: no such tenant", *tenant)
	}
	if err != nil {
		return fmt.Errorf("token create: %w", err)
	}
	fmt.Fprintln(e.stdout, issued.Plaintext)
	expiry := "never expires"
	if issued.ExpiresAt != nil {
		expiry = "expires " + issued.ExpiresAt.UTC().Format(time.RFC3339)
	}
	fmt.Fprintf(e.stderr, "token id: %s (role %s, %s)\n", issued.ID, issued.Role, expiry)
	return nil
}

// tokenRevoke revokes a token through the RevokeToken use case, the same one
// the admin API's DELETE /v1/tokens/{id} runs.
func tokenRevoke(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("token revoke")
	tenant := fs.String("tenant", "", "the tenant's id (required)")
	tokenID := fs.String("token-id", "", "the token's id, as printed by token create (required)")
	if err := parseFlags(fs, args, e); err != nil {
		return err
	}
	var problems []string
	for _, f := range []struct{ name, value string }{{"--tenant", *tenant}, {"--token-id", *tokenID}} {
		if err := checkUUID(f.name, f.value); err != nil {
			problems = append(problems, err.Error())
		}
	}
	if len(problems) > 0 {
		return usageError("token revoke: %s", strings.Join(problems, "; "))
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
	_, err = application.Commands.RevokeToken.Handle(ctx, command.RevokeToken{TenantID: *tenant, TokenID: *tokenID})
	if errors.Is(err, command.ErrTokenNotFound) {
		return fmt.Errorf("token revoke: --token-id %s: no such token in tenant %s", *tokenID, *tenant)
	}
	if err != nil {
		return fmt.Errorf("token revoke: %w", err)
	}
	fmt.Fprintf(e.stdout, "revoked token %s\n", *tokenID)
	return nil
}

func checkUUID(flagName, v string) error {
	if v == "" {
		return fmt.Errorf("%s is required", flagName)
	}
	if _, err := uuid.Parse(v); err != nil {
		return fmt.Errorf("%s %q is not a UUID", flagName, v)
	}
	return nil
}
