// Package config reads the userservice process's settings, once, from flags
// and the environment into a typed, validated Config. Nothing else in the
// service reads the environment.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/userservice/userservice/adapters/eventcontract"
	"github.com/userservice/userservice/adapters/logging"
	"github.com/userservice/userservice/adapters/relay"
	"github.com/userservice/userservice/cmd/internal/roles"
)

// DefaultDatabaseURL is the database the project's scripts create.
const DefaultDatabaseURL = "postgres://userservice:userservice@127.0.0.1:5432/userservice?sslmode=disable"

// Config is the process's configuration.
type Config struct {
	// DatabaseURL is the PostgreSQL connection string (DATABASE_URL).
	DatabaseURL string
	// DatabaseMaxConns caps the pool (DATABASE_MAX_CONNS); 0 keeps pgx's default.
	DatabaseMaxConns int32
	// KafkaBrokers are the bootstrap brokers (KAFKA_BROKERS, comma list).
	// Empty means no Kafka is configured: events stay in the outbox and the
	// readiness check does not ask for Kafka.
	KafkaBrokers []string
	// HTTPAddr is where the api role listens (HTTP_ADDR).
	HTTPAddr string
	// LogLevel is debug, info, warn or error (LOG_LEVEL).
	LogLevel string
	// Roles are the roles this process runs (ROLES or --roles), distinct, in
	// start order.
	Roles []string
	// ShutdownTimeout bounds how long in-flight work may take to finish after
	// SIGTERM/SIGINT (SHUTDOWN_TIMEOUT).
	ShutdownTimeout time.Duration
	// MigrateOnStart applies pending migrations before the roles start
	// (MIGRATE_ON_START).
	MigrateOnStart bool
	// KafkaTopic is the topic events are published to (KAFKA_TOPIC).
	KafkaTopic string
	// RelayConsumerGroup names the relay's position in the outbox
	// (RELAY_CONSUMER_GROUP). Relays sharing it share the work.
	RelayConsumerGroup string
	// RelayShards are the outbox shards the relay role relays (RELAY_SHARDS,
	// comma list); empty means all. Split them across relay processes to
	// relay in parallel; give every shard to two processes for a hot standby.
	RelayShards []int
	// OutboxPollInterval is the relay's longest idle wait when no NOTIFY
	// wake-up arrives (OUTBOX_POLL_INTERVAL).
	OutboxPollInterval time.Duration
	// APIRateLimit is the requests per second allowed per API token and
	// process (API_RATE_LIMIT); negative disables the limit.
	APIRateLimit float64
	// APIRateBurst is the burst above that rate (API_RATE_BURST).
	APIRateBurst int
	// OutboxRetention is how long relayed outbox rows are kept (OUTBOX_RETENTION).
	OutboxRetention time.Duration

	// ImportQueue is where import rows are queued: ImportQueuePostgres or
	// ImportQueueKafka (IMPORT_QUEUE).
	ImportQueue string
	// ImportKafkaTopic is the Kafka topic of import rows (IMPORT_KAFKA_TOPIC).
	ImportKafkaTopic string
	// ImportConsumers is how many rows the importer role handles at once
	// (IMPORT_CONSUMERS).
	ImportConsumers int
	// ImportRowsPerSecond is the importer process's budget of rows applied
	// per second, 0 for none (IMPORT_ROWS_PER_SECOND).
	ImportRowsPerSecond int
	// ImportYieldToAPI bounds the pause before each import chunk while the
	// API has requests in the database (one chunk at a time then, each
	// pausing as long as the last took); 0 never yields (IMPORT_YIELD_TO_API).
	ImportYieldToAPI time.Duration

	// SMTPAddr is the e-mail notices' server, host:port (SMTP_ADDR); empty
	// means notices go by webhook only.
	SMTPAddr string
	// SMTPFrom is the notices' sender address (SMTP_FROM).
	SMTPFrom string
	// SMTPUsername and SMTPPassword authenticate when SMTPUsername is set
	// (SMTP_USERNAME, SMTP_PASSWORD).
	SMTPUsername string
	SMTPPassword Secret
	// SMTPTLS is none, starttls or tls (SMTP_TLS).
	SMTPTLS string
	// NotifyLease is how long a notifier holds a notice it is sending
	// (NOTIFY_LEASE): a notifier that dies mid-send leaves the notice to be
	// sent again once it runs out, so keep it above the longest send.
	NotifyLease time.Duration
	// WebhookAllowInternal lets tenants' webhooks reach loopback, private,
	// link-local and metadata addresses (WEBHOOK_ALLOW_INTERNAL): for tests
	// and receivers on the service's own network. Off by default (SSRF).
	WebhookAllowInternal bool

	// HRISURL is the HRIS employees endpoint (HRIS_URL); empty means the
	// hris-sync role idles.
	HRISURL string
	// HRISTenantID is the tenant the HRIS feeds (HRIS_TENANT_ID).
	HRISTenantID string
	// HRISToken is the HRIS bearer token (HRIS_TOKEN).
	HRISToken Secret
	// HRISSchedule is the sync's cron expression (HRIS_SCHEDULE).
	HRISSchedule string
	// HRISDeactivateMissing deactivates users the HRIS no longer lists
	// (HRIS_DEACTIVATE_MISSING).
	HRISDeactivateMissing bool
	// HRISPageSize is asked for per HRIS page (HRIS_PAGE_SIZE).
	HRISPageSize int
	// Edge is what the service does before a request reaches a use case
	// (timeouts, limits, readiness, public URL; see edge.go).
	Edge
	// ReadReplica routes list and search reads to a replica (replica.go).
	ReadReplica
	// Commands configures the command path's group commit (commands.go).
	Commands

	// Console configures the admin console, the log format and the first run.
	Console ConsoleConfig

	// Personal configures the encryption and erasure of personal data.
	Personal PersonalDataConfig
}

// KafkaConfigured reports whether any Kafka broker is configured.
func (c Config) KafkaConfigured() bool { return len(c.KafkaBrokers) > 0 }

// setting is one configuration value: its variable, flag, default and parser.
type setting struct {
	env, flag, def, usage string
	parse                 func(raw string, c *Config) error
}

func settings() []setting {
	return append([]setting{
		{"DATABASE_URL", "database-url", DefaultDatabaseURL, "PostgreSQL connection string", parseDatabaseURL},
		{"DATABASE_MAX_CONNS", "database-max-conns", "0", "connection pool size; 0 = pgx default", parseMaxConns},
		{"KAFKA_BROKERS", "kafka-brokers", "127.0.0.1:9092", "comma-separated host:port list; empty = no Kafka", parseBrokers},
		{"HTTP_ADDR", "http-addr", "127.0.0.1:8080", "listen address of the api role", parseHTTPAddr},
		{"LOG_LEVEL", "log-level", "info", "one of " + logging.Levels, parseLogLevel},
		{"ROLES", "roles", roles.All, "comma-separated roles (" + strings.Join(roles.Names(), ", ") + ") or all", parseRoles},
		{"SHUTDOWN_TIMEOUT", "shutdown-timeout", "20s", "time allowed to finish in-flight work on SIGTERM/SIGINT", parseShutdownTimeout},
		{"MIGRATE_ON_START", "migrate-on-start", "true", "apply pending migrations at start-up", parseMigrate},
		{"KAFKA_TOPIC", "kafka-topic", eventcontract.Topic, "topic the relay publishes events to", parseKafkaTopic},
		{"RELAY_CONSUMER_GROUP", "relay-consumer-group", relay.DefaultConsumerGroup, "the relay's position in the outbox; relays sharing it share the work", parseRelayGroup},
		{"RELAY_SHARDS", "relay-shards", "", "outbox shards this relay serves, comma list of 0..3; empty = all", parseRelayShards},
		{"OUTBOX_POLL_INTERVAL", "outbox-poll-interval", "200ms", "longest idle wait of the relay without a NOTIFY wake-up", parseOutboxPoll},
		{"API_RATE_LIMIT", "api-rate-limit", "100", "requests per second per API token and process; -1 = no limit", parseRateLimit},
		{"API_RATE_BURST", "api-rate-burst", "200", "requests a token may burst above the rate", parseRateBurst},
		{"OUTBOX_RETENTION", "outbox-retention", "1h", "how long relayed outbox rows are kept", parseOutboxRetention},
	}, append(append(append(append(append(bulkSettings(), edgeSettings()...), consoleSettings()...), replicaSettings()...), commandSettings()...), personalSettings()...)...)
}

// ErrHelp is returned by Load when -h or --help was given; the usage text
// has been written.
var ErrHelp = flag.ErrHelp

// Load reads the configuration from args (without the program name) and
// lookupEnv (os.LookupEnv in production). A flag beats its variable, which
// beats the default. A set but empty variable counts as given (KAFKA_BROKERS=""
// means no Kafka). Every invalid value is reported, joined into one error
// naming each variable. Usage and flag errors are written to out.
func Load(args []string, lookupEnv func(string) (string, bool), out io.Writer) (Config, error) {
	fs := flag.NewFlagSet("userservice", flag.ContinueOnError)
	fs.SetOutput(out)
	all := settings()
	flagValues := make([]*string, len(all))
	for i, s := range all {
		flagValues[i] = fs.String(s.flag, "", fmt.Sprintf("%s (env %s, default %q)", s.usage, s.env, s.def))
	}
	fs.Usage = func() {
		fmt.Fprintf(out, "Usage: userservice [flags]\n\nRuns the roles of the user service. Every flag can be set by its environment variable instead.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("unexpected arguments %q: userservice takes flags only", fs.Args())
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })

	var c Config
	var errs []error
	for i, s := range all {
		raw, name := s.def, s.env
		if v, ok := lookupEnv(s.env); ok {
			raw = v
		}
		if given[s.flag] {
			raw, name = *flagValues[i], "--"+s.flag
		}
		if err := s.parse(strings.TrimSpace(raw), &c); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
	}
	if len(errs) == 0 {
		// Combinations are checked only once every value is valid alone,
		// so one mistake is not reported twice.
		errs = append(checkBulk(c), checkPersonal(c)...)
	}
	if err := errors.Join(errs...); err != nil {
		return Config{}, err
	}
	return c, nil
}

// DatabaseURL reads just DATABASE_URL (default DefaultDatabaseURL), with the
// same validation as Load, for tools such as usersctl that need nothing else.
func DatabaseURL(lookupEnv func(string) (string, bool)) (string, error) {
	raw := DefaultDatabaseURL
	if v, ok := lookupEnv("DATABASE_URL"); ok {
		raw = v
	}
	var c Config
	if err := parseDatabaseURL(strings.TrimSpace(raw), &c); err != nil {
		return "", fmt.Errorf("DATABASE_URL: %w", err)
	}
	return c.DatabaseURL, nil
}
