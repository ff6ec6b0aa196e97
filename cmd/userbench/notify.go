package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/userservice/userservice/adapters/postgres"
)

// errNoNotifyTrigger says the tree wakes relays without a trigger.
var errNoNotifyTrigger = errors.New("no outbox NOTIFY trigger")

// withoutNotifyTrigger runs f with the outbox shards' NOTIFY triggers
// (migration 00002) disabled in the benchmark's own database, to measure
// what the wake-up costs the command path; they are enabled again after.
func (b *bench) withoutNotifyTrigger(ctx context.Context, f func() error) error {
	var n int
	if err := b.pool.QueryRow(ctx, `SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'watermill_user_events_%_notify'`).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return errNoNotifyTrigger
	}
	set := func(action string) error {
		for shard := range postgres.OutboxShards {
			t := "watermill_" + postgres.OutboxTopic(shard)
			if _, err := b.pool.Exec(ctx, "ALTER TABLE "+t+" "+action+" TRIGGER "+t+"_notify"); err != nil {
				return fmt.Errorf("%s trigger of %s: %w", action, t, err)
			}
		}
		return nil
	}
	if err := set("DISABLE"); err != nil {
		return err
	}
	return errors.Join(f(), set("ENABLE"))
}
