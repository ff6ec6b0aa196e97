package config

import (
	"errors"
	"fmt"
	"math"
	"net"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/userservice/userservice/adapters/logging"
	"github.com/userservice/userservice/adapters/postgres"
	"github.com/userservice/userservice/cmd/internal/roles"
)

// The parsers below check one raw value each and store it in the Config;
// their errors omit the variable's name, which Load adds.

func parseDatabaseURL(raw string, c *Config) error {
	if raw == "" {
		return errors.New("must not be empty")
	}
	if _, err := pgxpool.ParseConfig(raw); err != nil {
		// pgx's message can quote the whole string, password included:
		// say what is wrong without echoing it.
		return errors.New("not a valid PostgreSQL connection string (postgres://user:password@host:port/db?sslmode=...)")
	}
	c.DatabaseURL = raw
	return nil
}

func parseMaxConns(raw string, c *Config) error {
	n, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || n < 0 || n > math.MaxInt32 {
		return fmt.Errorf("%q is not a whole number from 0 to %d", raw, math.MaxInt32)
	}
	c.DatabaseMaxConns = int32(n)
	return nil
}

func parseBrokers(raw string, c *Config) error {
	var brokers, bad []string
	for _, b := range strings.Split(raw, ",") {
		if b = strings.TrimSpace(b); b == "" {
			continue
		}
		if err := checkHostPort(b, false); err != nil {
			bad = append(bad, fmt.Sprintf("%q (%v)", b, err))
			continue
		}
		brokers = append(brokers, b)
	}
	if len(bad) > 0 {
		return fmt.Errorf("want host:port entries, got %s", strings.Join(bad, ", "))
	}
	c.KafkaBrokers = brokers
	return nil
}

func parseHTTPAddr(raw string, c *Config) error {
	if err := checkHostPort(raw, true); err != nil {
		return fmt.Errorf("%q is not a listen address like 127.0.0.1:8080: %w", raw, err)
	}
	c.HTTPAddr = raw
	return nil
}

// checkHostPort accepts host:port with a numeric port; a listen address may
// leave the host empty (all interfaces) and use port 0 (any free port).
func checkHostPort(s string, listen bool) error {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return errors.New("missing or malformed port")
	}
	if host == "" && !listen {
		return errors.New("missing host")
	}
	p, err := strconv.Atoi(port)
	lowest := 1
	if listen {
		lowest = 0
	}
	if err != nil || p < lowest || p > 65535 {
		return fmt.Errorf("port %q out of range", port)
	}
	return nil
}

func parseLogLevel(raw string, c *Config) error {
	if _, err := logging.ParseLevel(raw); err != nil {
		return err
	}
	c.LogLevel = strings.ToLower(raw)
	return nil
}

func parseRoles(raw string, c *Config) error {
	rs, err := roles.Parse(raw)
	if err != nil {
		return err
	}
	c.Roles = rs
	return nil
}

func parseShutdownTimeout(raw string, c *Config) error {
	d, err := time.ParseDuration(raw)
	if err != nil || d <= 0 {
		return fmt.Errorf("%q is not a positive duration like 20s or 1m", raw)
	}
	c.ShutdownTimeout = d
	return nil
}

func parseMigrate(raw string, c *Config) error {
	b, err := strconv.ParseBool(raw)
	if err != nil {
		return fmt.Errorf("%q is not a boolean (true or false)", raw)
	}
	c.MigrateOnStart = b
	return nil
}

// kafkaTopicPattern is what Kafka accepts as a topic name.
var kafkaTopicPattern = regexp.MustCompile(`^[a-zA-Z0-9._-]{1,249}$`)

func parseKafkaTopic(raw string, c *Config) error {
	if !kafkaTopicPattern.MatchString(raw) || raw == "." || raw == ".." {
		return fmt.Errorf("%q is not a Kafka topic name (1-249 of a-z A-Z 0-9 . _ -)", raw)
	}
	c.KafkaTopic = raw
	return nil
}

func parseRelayGroup(raw string, c *Config) error {
	if raw == "" || len(raw) > 255 {
		return fmt.Errorf("%q: want 1 to 255 characters", raw)
	}
	c.RelayConsumerGroup = raw
	return nil
}

func parseRelayShards(raw string, c *Config) error {
	c.RelayShards = nil
	seen := map[int]bool{}
	for _, f := range strings.Split(raw, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 0 || n >= postgres.OutboxShards || seen[n] {
			return fmt.Errorf("%q: want distinct shard numbers from 0 to %d", raw, postgres.OutboxShards-1)
		}
		seen[n] = true
		c.RelayShards = append(c.RelayShards, n)
	}
	return nil
}

func parseOutboxPoll(raw string, c *Config) error {
	d, err := positiveDuration(raw)
	c.OutboxPollInterval = d
	return err
}

func parseOutboxRetention(raw string, c *Config) error {
	d, err := positiveDuration(raw)
	c.OutboxRetention = d
	return err
}

func positiveDuration(raw string) (time.Duration, error) {
	d, err := time.ParseDuration(raw)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q is not a positive duration such as 200ms or 1h", raw)
	}
	return d, nil
}

func parseRateLimit(raw string, c *Config) error {
	f, err := strconv.ParseFloat(raw, 64)
	if err != nil || f == 0 || math.IsNaN(f) || math.IsInf(f, 0) {
		return fmt.Errorf("%q: want requests per second (e.g. 100), or -1 for no limit", raw)
	}
	c.APIRateLimit = f
	return nil
}

func parseRateBurst(raw string, c *Config) error {
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 {
		return fmt.Errorf("%q: want a whole number of at least 1", raw)
	}
	c.APIRateBurst = n
	return nil
}
