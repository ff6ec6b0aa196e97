package main

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"time"

	"github.com/google/uuid"

	"github.com/userservice/userservice/adapters/postgres"
	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/cmd/internal/config"
	"github.com/userservice/userservice/cmd/internal/service"
	"github.com/userservice/userservice/domain/user"
)

const personalDataUsage = `  user erase --tenant ID --user ID [--basis B]      erase a person's personal data (README
                                                   "Personal data"); B is an audit word such
                                                   as gdpr_art17, never free text about them
  keys rotate [--batch N]                          re-wrap every data key with MASTER_KEY_ACTIVE
                                                   (both old and new keys in MASTER_KEYS), online
  keys status                                      data keys still wrapped by other master keys
  retention purge [--older-than D]                 empty the personal data of import jobs finished
                                                   before D ago (default PERSONAL_DATA_RETENTION)`

// userErase runs the EraseUser use case, the one POST /v1/users/{id}/erase
// runs, as an operator (actor "usersctl").
func userErase(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("user erase")
	tenant := fs.String("tenant", "", "the tenant's id (required)")
	userID := fs.String("user", "", "the user's id (required)")
	basis := fs.String("basis", "gdpr_art17", "why, for the audit trail (at most 64 characters)")
	if err := parseFlags(fs, args, e); err != nil {
		return err
	}
	var problems []string
	for _, f := range []struct{ name, value string }{{"--tenant", *tenant}, {"--user", *userID}} {
		if err := checkUUID(f.name, f.value); err != nil {
			problems = append(problems, err.Error())
		}
	}
	if len(problems) > 0 {
		return usageError("user erase: %s", strings.Join(problems, "; "))
	}
	keys, err := personalKeys(e)
	if err != nil {
		return err
	}
	pool, err := connect(ctx, e)
	if err != nil {
		return err
	}
	defer pool.Close()
	application, err := service.Build(pool, service.Options{PersonalData: keys})
	if err != nil {
		return err
	}
	id, _ := user.ParseID(*userID)
	res, err := application.Commands.EraseUser.Handle(ctx, command.EraseUser{Envelope: command.Envelope{
		CommandID: "cli:" + uuid.NewString(), TenantID: *tenant, Actor: "usersctl", Source: command.SourceAPI,
		CorrelationID: uuid.NewString()}, UserID: id, Basis: *basis})
	switch {
	case errors.Is(err, user.ErrNotFound):
		return fmt.Errorf("user erase: --user %s: no such user in tenant %s", *userID, *tenant)
	case err != nil:
		return fmt.Errorf("user erase: %w", err)
	case !res.Changed:
		fmt.Fprintf(e.stdout, "user %s was erased already\n", *userID)
	default:
		fmt.Fprintf(e.stdout, "erased user %s (stream version %d)\n", *userID, res.User.Version)
	}
	return nil
}

// keysRotate re-wraps the data keys with the active master key.
func keysRotate(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("keys rotate")
	batch := fs.Int("batch", 1000, "data keys per transaction")
	if err := parseFlags(fs, args, e); err != nil {
		return err
	}
	if *batch < 1 {
		return usageError("keys rotate: --batch must be positive, got %d", *batch)
	}
	keys, err := personalKeys(e)
	if err != nil {
		return err
	}
	if keys == nil {
		return usageError("keys rotate: MASTER_KEYS is empty: there is nothing to rotate to")
	}
	pool, err := connect(ctx, e)
	if err != nil {
		return err
	}
	defer pool.Close()
	n, err := keys.Rotate(ctx, pool, *batch, nil)
	if err != nil {
		return fmt.Errorf("keys rotate: after %d re-wrapped: %w", n, err)
	}
	fmt.Fprintf(e.stdout, "re-wrapped %d data keys; every key is wrapped by the active master key\n", n)
	return nil
}

// keysStatus prints the data keys not yet wrapped by the active master key.
func keysStatus(ctx context.Context, args []string, e env) error {
	if err := parseFlags(newFlagSet("keys status"), args, e); err != nil {
		return err
	}
	keys, err := personalKeys(e)
	if err != nil {
		return err
	}
	if keys == nil {
		return usageError("keys status: MASTER_KEYS is empty: personal data is not encrypted")
	}
	pool, err := connect(ctx, e)
	if err != nil {
		return err
	}
	defer pool.Close()
	pending, err := keys.Pending(ctx, pool)
	if err != nil {
		return fmt.Errorf("keys status: %w", err)
	}
	if len(pending) == 0 {
		fmt.Fprintln(e.stdout, "every data key is wrapped by the active master key")
		return nil
	}
	ids := make([]string, 0, len(pending))
	for id := range pending {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		fmt.Fprintf(e.stdout, "%d data keys wrapped by master key %q (run keys rotate)\n", pending[id], id)
	}
	return nil
}

// retentionPurge empties the personal data of import jobs that finished
// more than --older-than ago (default PERSONAL_DATA_RETENTION).
func retentionPurge(ctx context.Context, args []string, e env) error {
	c, err := config.PersonalData(e.lookupEnv)
	if err != nil {
		return usageError("%v", err)
	}
	fs := newFlagSet("retention purge")
	olderThan := fs.Duration("older-than", c.Retention, "purge jobs that finished longer ago than this")
	if err := parseFlags(fs, args, e); err != nil {
		return err
	}
	if *olderThan <= 0 {
		return usageError("retention purge: --older-than must be positive (PERSONAL_DATA_RETENTION=0 keeps everything)")
	}
	pool, err := connect(ctx, e)
	if err != nil {
		return err
	}
	defer pool.Close()
	n, err := postgres.PurgeExpiredPersonalData(ctx, pool, time.Now().Add(-*olderThan))
	if err != nil {
		return fmt.Errorf("retention purge: after %d jobs: %w", n, err)
	}
	fmt.Fprintf(e.stdout, "purged the personal data of %d import jobs finished before %s\n", n,
		time.Now().Add(-*olderThan).UTC().Format(time.RFC3339))
	return nil
}
