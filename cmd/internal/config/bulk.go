package config

import (
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/google/uuid"
	"github.com/robfig/cron/v3"
)

// The settings of bulk provisioning: the import queue, the notices' SMTP
// server and the HRIS sync. Secrets (SMTP_PASSWORD, HRIS_TOKEN) are Secret
// values, and no parser here echoes them.

// Import queues (IMPORT_QUEUE).
const (
	ImportQueuePostgres = "postgres"
	ImportQueueKafka    = "kafka"
)

// Secret is a setting that must never be printed: fmt, JSON and text
// encodings show "[redacted]", so a logged or dumped Config leaks nothing.
type Secret string

// String implements fmt.Stringer.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// GoString keeps %#v from printing the value.
func (s Secret) GoString() string { return s.String() }

// MarshalText keeps JSON and text encoders from printing the value.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Reveal returns the value, for the one place that hands it to its adapter.
func (s Secret) Reveal() string { return string(s) }

func bulkSettings() []setting {
	return []setting{
		{"IMPORT_QUEUE", "import-queue", ImportQueuePostgres, "where import rows are queued: postgres or kafka (needs KAFKA_BROKERS)", parseImportQueue},
		{"IMPORT_KAFKA_TOPIC", "import-kafka-topic", "users.imports", "Kafka topic of the import rows when IMPORT_QUEUE=kafka", parseImportTopic},
		{"IMPORT_CONSUMERS", "import-consumers", "4", "parallel consumers of the importer role", parseImportConsumers},
		{"IMPORT_ROWS_PER_SECOND", "import-rows-per-second", "0", "budget of import rows the importer role applies per second (0 = none): leaves the database to the API", parseImportRowsPerSecond},
		{"IMPORT_YIELD_TO_API", "import-yield-to-api", "250ms", "API first: while the API has requests in the database, import chunks and an upload's queueing go one at a time across the service's processes, each after pausing as long as the last one took, at most this long (0 = never yield)", parseImportYieldToAPI},
		{"SMTP_ADDR", "smtp-addr", "127.0.0.1:1025", "SMTP server (host:port) of the e-mail notices; empty = no e-mail", parseSMTPAddr},
		{"SMTP_FROM", "smtp-from", "userservice@localhost", "sender address of the e-mail notices", parseSMTPFrom},
		{"SMTP_USERNAME", "smtp-username", "", "SMTP user; empty = no authentication", parseSMTPUsername},
		{"SMTP_PASSWORD", "smtp-password", "", "SMTP password (secret; prefer the variable to the flag)", parseSMTPPassword},
		{"SMTP_TLS", "smtp-tls", "none", "SMTP transport security: none, starttls or tls", parseSMTPTLS},
		{"WEBHOOK_ALLOW_INTERNAL", "webhook-allow-internal", "false", "let tenants' webhooks reach loopback, private, link-local and metadata addresses (tests, local receivers); off, they are refused when saved and when dialled", parseWebhookAllowInternal},
		{"NOTIFY_LEASE", "notify-lease", "2m", "how long a notifier holds a notice it sends; a crashed notifier's notice goes out again after it", parseNotifyLease},
		{"HRIS_TENANT_ID", "hris-tenant-id", "", "tenant the HRIS sync feeds (required with HRIS_URL)", parseHRISTenant},
		{"HRIS_URL", "hris-url", "", "HRIS employees endpoint; empty = the hris-sync role idles", parseHRISURL},
		{"HRIS_TOKEN", "hris-token", "", "HRIS bearer token (secret; prefer the variable to the flag)", parseHRISToken},
		{"HRIS_SCHEDULE", "hris-schedule", "0 2 * * *", "cron expression of the HRIS sync", parseHRISSchedule},
		{"HRIS_DEACTIVATE_MISSING", "hris-deactivate-missing", "false", "deactivate users the HRIS no longer lists", parseHRISDeactivate},
		{"HRIS_PAGE_SIZE", "hris-page-size", "500", "employees asked for per HRIS page", parseHRISPageSize},
	}
}

// checkBulk reports the settings that are valid alone but not together.
func checkBulk(c Config) []error {
	var errs []error
	if c.ImportQueue == ImportQueueKafka && !c.KafkaConfigured() {
		errs = append(errs, errors.New("IMPORT_QUEUE: kafka needs KAFKA_BROKERS"))
	}
	if c.ImportQueue == ImportQueueKafka && c.ImportKafkaTopic == c.KafkaTopic {
		errs = append(errs, fmt.Errorf("IMPORT_KAFKA_TOPIC: %q is the events topic (KAFKA_TOPIC); import rows need their own", c.ImportKafkaTopic))
	}
	if c.SMTPPassword != "" && c.SMTPUsername == "" {
		errs = append(errs, errors.New("SMTP_PASSWORD: set without SMTP_USERNAME"))
	}
	if c.HRISURL != "" {
		if c.HRISTenantID == "" {
			errs = append(errs, errors.New("HRIS_TENANT_ID: required when HRIS_URL is set"))
		}
		if c.HRISToken == "" {
			errs = append(errs, errors.New("HRIS_TOKEN: required when HRIS_URL is set"))
		}
	}
	return errs
}

func parseImportQueue(raw string, c *Config) error {
	switch q := strings.ToLower(raw); q {
	case ImportQueuePostgres, ImportQueueKafka:
		c.ImportQueue = q
		return nil
	}
	return fmt.Errorf("%q: want postgres or kafka", raw)
}

func parseImportTopic(raw string, c *Config) error {
	var t Config
	if err := parseKafkaTopic(raw, &t); err != nil {
		return err
	}
	c.ImportKafkaTopic = t.KafkaTopic
	return nil
}

func parseImportConsumers(raw string, c *Config) error {
	n, err := wholeNumber(raw, 1, 256)
	c.ImportConsumers = n
	return err
}

func parseImportRowsPerSecond(raw string, c *Config) error {
	n, err := wholeNumber(raw, 0, 10_000_000)
	c.ImportRowsPerSecond = n
	return err
}

func parseImportYieldToAPI(raw string, c *Config) error {
	d, err := time.ParseDuration(raw)
	if err != nil || d < 0 || d > time.Minute {
		return fmt.Errorf("%q is not a duration from 0 to 1m", raw)
	}
	c.ImportYieldToAPI = d
	return nil
}

func parseSMTPAddr(raw string, c *Config) error {
	if raw != "" {
		if err := checkHostPort(raw, false); err != nil {
			return fmt.Errorf("%q is not host:port (empty = no e-mail): %w", raw, err)
		}
	}
	c.SMTPAddr = raw
	return nil
}

func parseSMTPFrom(raw string, c *Config) error {
	if a, err := mail.ParseAddress(raw); err != nil || a.Address != raw {
		return fmt.Errorf("%q is not a bare e-mail address like userservice@example.com", raw)
	}
	c.SMTPFrom = raw
	return nil
}

func parseSMTPUsername(raw string, c *Config) error {
	c.SMTPUsername = raw
	return nil
}

func parseSMTPPassword(raw string, c *Config) error {
	c.SMTPPassword = Secret(raw)
	return nil
}

func parseSMTPTLS(raw string, c *Config) error {
	switch m := strings.ToLower(raw); m {
	case "none", "starttls", "tls":
		c.SMTPTLS = m
		return nil
	}
	return fmt.Errorf("%q: want none, starttls or tls", raw)
}

func parseHRISTenant(raw string, c *Config) error {
	if raw != "" {
		if _, err := uuid.Parse(raw); err != nil {
			return fmt.Errorf("%q is not a tenant id (a UUID)", raw)
		}
	}
	c.HRISTenantID = raw
	return nil
}

// parseHRISURL does not echo the value: an HRIS URL may carry credentials.
func parseHRISURL(raw string, c *Config) error {
	if raw != "" {
		if u, err := url.Parse(raw); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return errors.New("not an absolute http(s) URL (empty = no HRIS sync)")
		}
	}
	c.HRISURL = raw
	return nil
}

func parseHRISToken(raw string, c *Config) error {
	if strings.IndexFunc(raw, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return errors.New("must not contain spaces or control characters (value not shown)")
	}
	c.HRISToken = Secret(raw)
	return nil
}

func parseHRISSchedule(raw string, c *Config) error {
	if _, err := cron.ParseStandard(raw); err != nil {
		return fmt.Errorf("%q is not a cron schedule like \"0 2 * * *\" or \"@every 6h\": %w", raw, err)
	}
	c.HRISSchedule = raw
	return nil
}

func parseWebhookAllowInternal(raw string, c *Config) error {
	b, err := strconv.ParseBool(raw)
	if err != nil {
		return fmt.Errorf("%q is not a boolean (true or false)", raw)
	}
	c.WebhookAllowInternal = b
	return nil
}

func parseHRISDeactivate(raw string, c *Config) error {
	b, err := strconv.ParseBool(raw)
	if err != nil {
		return fmt.Errorf("%q is not a boolean (true or false)", raw)
	}
	c.HRISDeactivateMissing = b
	return nil
}

func parseHRISPageSize(raw string, c *Config) error {
	n, err := wholeNumber(raw, 1, 10000)
	c.HRISPageSize = n
	return err
}

func parseNotifyLease(raw string, c *Config) error {
	d, err := positiveDuration(raw)
	c.NotifyLease = d
	return err
}

func wholeNumber(raw string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(raw)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("%q is not a whole number from %d to %d", raw, lo, hi)
	}
	return n, nil
}
