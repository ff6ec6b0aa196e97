package config

import (
	"errors"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// ReadReplica routes the list and search reads to a PostgreSQL streaming
// replica (README, "Running at scale").
type ReadReplica struct {
	// DatabaseReadURL is the replica's connection string (DATABASE_READ_URL);
	// empty means every read goes to DATABASE_URL.
	DatabaseReadURL string
	// DatabaseReadMaxLag is the staleness bound (DATABASE_READ_MAX_LAG): the
	// lists go to the replica only while it is known to have replayed
	// everything the primary had written this long ago; otherwise (lagging,
	// unreachable, not yet measured) they go to the primary.
	DatabaseReadMaxLag time.Duration
}

func replicaSettings() []setting {
	return []setting{
		{"DATABASE_READ_URL", "database-read-url", "", "read replica for list and search reads; empty = the primary", parseDatabaseReadURL},
		{"DATABASE_READ_MAX_LAG", "database-read-max-lag", "5s", "list reads leave the replica while it is staler than this", parseDatabaseReadMaxLag},
	}
}

func parseDatabaseReadURL(raw string, c *Config) error {
	if raw == "" {
		c.DatabaseReadURL = ""
		return nil
	}
	if _, err := pgxpool.ParseConfig(raw); err != nil {
		// Never echo the string: it holds a password.
		return errors.New("not a valid PostgreSQL connection string (postgres://user:password@host:port/db?sslmode=...)")
	}
	c.DatabaseReadURL = raw
	return nil
}

func parseDatabaseReadMaxLag(raw string, c *Config) error {
	d, err := positiveDuration(raw)
	c.DatabaseReadMaxLag = d
	return err
}
