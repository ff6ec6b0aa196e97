package ops

import (
	"context"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/userservice/userservice/adapters/kafka"
)

// PostgresCheck probes the pool with a ping (a round trip on a pooled
// connection).
func PostgresCheck(pool *pgxpool.Pool) Check {
	return Check{Name: "postgres", Probe: pool.Ping}
}

// KafkaCheck probes the brokers with a metadata request.
func KafkaCheck(brokers []string) Check {
	return Check{Name: "kafka", Probe: func(ctx context.Context) error {
		return kafka.Ping(ctx, brokers)
	}}
}
