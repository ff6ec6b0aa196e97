package roles

import (
	"context"

	"go.uber.org/zap"
)

// Placeholder stands in for a role that is not implemented yet (today:
// importer, relay, notifier, hris-sync). It logs "role X: not implemented
// yet" once and then only waits for shutdown, so ROLES=all starts and stops
// cleanly while those roles are being written. Replace each registration of a
// Placeholder in cmd/userservice with the real runner when it lands.
func Placeholder(name string, log *zap.Logger) Runner {
	return RunFunc(func(ctx context.Context) error {
		log.Warn("role " + name + ": not implemented yet")
		<-ctx.Done()
		return nil
	})
}
