package config_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/userservice/userservice/cmd/internal/config"
	"github.com/userservice/userservice/cmd/internal/roles"
)

func env(kv map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := kv[k]
		return v, ok
	}
}

var defaultEdge = config.Edge{
	HTTPReadHeaderTimeout: 5 * time.Second, HTTPReadTimeout: 10 * time.Minute, HTTPWriteTimeout: 10 * time.Minute,
	HTTPIdleTimeout: 2 * time.Minute, ReadinessCache: 2 * time.Second, AuthFailureRate: 10, AuthFailureBurst: 100,
	AuthTokenCacheTTL:      2 * time.Second,
	ImportUploadsPerTenant: 2, ImportSpoolBytesPerTenant: 512 << 20,
}

func TestLoadDefaults(t *testing.T) {
	got, err := config.Load(nil, env(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := config.Config{
		DatabaseURL:        config.DefaultDatabaseURL,
		DatabaseMaxConns:   0,
		KafkaBrokers:       []string{"127.0.0.1:9092"},
		HTTPAddr:           "127.0.0.1:8080",
		LogLevel:           "info",
		Roles:              roles.Names(),
		ShutdownTimeout:    20 * time.Second,
		MigrateOnStart:     true,
		KafkaTopic:         "users.events",
		RelayConsumerGroup: "kafka-relay",
		OutboxPollInterval: 200 * time.Millisecond,
		OutboxRetention:    time.Hour,
		APIRateLimit:       100,
		APIRateBurst:       200,
		ImportQueue:        "postgres",
		ImportKafkaTopic:   "users.imports",
		ImportConsumers:    4,
		ImportYieldToAPI:   250 * time.Millisecond,
		SMTPAddr:           "127.0.0.1:1025",
		SMTPFrom:           "userservice@localhost",
		SMTPTLS:            "none",
		NotifyLease:        2 * time.Minute,
		HRISSchedule:       "0 2 * * *",
		HRISPageSize:       500,
		Edge:               defaultEdge,
		Commands:           defaultCommands,
		ReadReplica:        config.ReadReplica{DatabaseReadMaxLag: 5 * time.Second},
		Console:            config.ConsoleConfig{LogFormat: "json"},
		Personal:           config.PersonalDataConfig{SCIMDelete: config.SCIMDeleteDelete, Retention: 2160 * time.Hour},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("defaults:\n got %+v\nwant %+v", got, want)
	}
}

func TestLoadValues(t *testing.T) {
	cases := []struct {
		name  string
		args  []string
		env   map[string]string
		check func(t *testing.T, c config.Config)
	}{
		{"env values", nil, map[string]string{
			"DATABASE_URL": "postgres://u:p@db:5433/x", "DATABASE_MAX_CONNS": "16",
			"KAFKA_BROKERS": " k1:9092, k2:9093 ,", "HTTP_ADDR": ":0", "LOG_LEVEL": "DEBUG",
			"ROLES": "relay,api", "SHUTDOWN_TIMEOUT": "1m30s", "MIGRATE_ON_START": "false",
			"KAFKA_TOPIC": "hr.users", "RELAY_SHARDS": "2, 0", "OUTBOX_POLL_INTERVAL": "50ms", "OUTBOX_RETENTION": "24h",
		}, func(t *testing.T, c config.Config) {
			want := config.Config{
				DatabaseURL: "postgres://u:p@db:5433/x", DatabaseMaxConns: 16,
				KafkaBrokers: []string{"k1:9092", "k2:9093"}, HTTPAddr: ":0", LogLevel: "debug",
				Roles: []string{"api", "relay"}, ShutdownTimeout: 90 * time.Second, MigrateOnStart: false,
				KafkaTopic: "hr.users", RelayConsumerGroup: "kafka-relay", RelayShards: []int{2, 0}, OutboxPollInterval: 50 * time.Millisecond,
				OutboxRetention: 24 * time.Hour, APIRateLimit: 100, APIRateBurst: 200,
				ImportQueue: "postgres", ImportKafkaTopic: "users.imports", ImportConsumers: 4,
				ImportYieldToAPI: 250 * time.Millisecond,
				SMTPAddr:         "127.0.0.1:1025", SMTPFrom: "userservice@localhost", SMTPTLS: "none", NotifyLease: 2 * time.Minute,
				HRISSchedule: "0 2 * * *", HRISPageSize: 500, Edge: defaultEdge, Commands: defaultCommands,
				ReadReplica: config.ReadReplica{DatabaseReadMaxLag: 5 * time.Second},
				Console:     config.ConsoleConfig{LogFormat: "json"},
				Personal:    config.PersonalDataConfig{SCIMDelete: config.SCIMDeleteDelete, Retention: 2160 * time.Hour},
			}
			if !reflect.DeepEqual(c, want) {
				t.Errorf("got %+v\nwant %+v", c, want)
			}
		}},
		{"empty KAFKA_BROKERS means no Kafka", nil, map[string]string{"KAFKA_BROKERS": ""},
			func(t *testing.T, c config.Config) {
				if c.KafkaConfigured() || c.KafkaBrokers != nil {
					t.Errorf("KafkaBrokers = %v, want none", c.KafkaBrokers)
				}
			}},
		{"flag beats env", []string{"--roles", "api", "--kafka-brokers="}, map[string]string{"ROLES": "relay", "KAFKA_BROKERS": "k:1"},
			func(t *testing.T, c config.Config) {
				if !reflect.DeepEqual(c.Roles, []string{"api"}) || c.KafkaConfigured() {
					t.Errorf("roles %v, brokers %v", c.Roles, c.KafkaBrokers)
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := config.Load(tc.args, env(tc.env), io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, c)
		})
	}
}

func TestLoadReportsEveryInvalidValue(t *testing.T) {
	bad := map[string]string{
		"DATABASE_URL":            "postgres://u:secret@host:notaport/db",
		"DATABASE_MAX_CONNS":      "-1",
		"KAFKA_BROKERS":           "k1:9092,nohost,:9092",
		"HTTP_ADDR":               "localhost",
		"LOG_LEVEL":               "loud",
		"ROLES":                   "api,web",
		"SHUTDOWN_TIMEOUT":        "soon",
		"MIGRATE_ON_START":        "maybe",
		"KAFKA_TOPIC":             "users events",
		"RELAY_SHARDS":            "1,1,9",
		"RELAY_CONSUMER_GROUP":    "",
		"API_RATE_LIMIT":          "fast",
		"API_RATE_BURST":          "0",
		"OUTBOX_POLL_INTERVAL":    "-5ms",
		"OUTBOX_RETENTION":        "forever",
		"IMPORT_QUEUE":            "rabbitmq",
		"IMPORT_KAFKA_TOPIC":      "users imports",
		"IMPORT_CONSUMERS":        "0",
		"SMTP_ADDR":               "mail.example.com",
		"SMTP_FROM":               "Ops <ops@example.com>",
		"SMTP_TLS":                "ssl",
		"NOTIFY_LEASE":            "0s",
		"HRIS_TENANT_ID":          "acme",
		"HRIS_URL":                "ftp://hris.example.com/employees?key=secret",
		"HRIS_TOKEN":              "secret token",
		"HRIS_SCHEDULE":           "every night",
		"HRIS_DEACTIVATE_MISSING": "sometimes",
		"HRIS_PAGE_SIZE":          "100000",
	}
	_, err := config.Load(nil, env(bad), io.Discard)
	if err == nil {
		t.Fatal("invalid configuration accepted")
	}
	msg := err.Error()
	for k := range bad {
		if !strings.Contains(msg, k+": ") {
			t.Errorf("error does not name %s:\n%s", k, msg)
		}
	}
	for _, want := range []string{`"nohost"`, `":9092"`, `unknown role "web"`, "valid roles are api, importer, relay, notifier, hris-sync, directory or all",
		`"rabbitmq": want postgres or kafka`, `"ssl": want none, starttls or tls`, `"acme" is not a tenant id`} {
		if !strings.Contains(msg, want) {
			t.Errorf("error does not say %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "secret") {
		t.Errorf("error leaks a secret (database password, HRIS URL key or token):\n%s", msg)
	}
	if n := strings.Count(msg, "\n") + 1; n != len(bad) {
		t.Errorf("got %d problems, want %d:\n%s", n, len(bad), msg)
	}
}

func TestLoadSingleProblems(t *testing.T) {
	cases := map[string]map[string]string{
		"DATABASE_MAX_CONNS": {"DATABASE_MAX_CONNS": "3000000000"},
		"SHUTDOWN_TIMEOUT":   {"SHUTDOWN_TIMEOUT": "0s"},
		"ROLES":              {"ROLES": ""},
		"HTTP_ADDR":          {"HTTP_ADDR": "127.0.0.1:99999"},
		"DATABASE_URL":       {"DATABASE_URL": ""},
	}
	for name, e := range cases {
		_, err := config.Load(nil, env(e), io.Discard)
		if err == nil || !strings.HasPrefix(err.Error(), name+": ") {
			t.Errorf("%v: error = %v, want one naming %s", e, err, name)
		}
	}
}

func TestLoadRolesFlagRejection(t *testing.T) {
	_, err := config.Load([]string{"--roles=api,frontend"}, env(nil), io.Discard)
	if err == nil || !strings.Contains(err.Error(), `--roles: unknown role "frontend": valid roles are`) {
		t.Errorf("error = %v", err)
	}
}

func TestLoadFlagErrors(t *testing.T) {
	var out strings.Builder
	if _, err := config.Load([]string{"--nope"}, env(nil), &out); err == nil {
		t.Error("unknown flag accepted")
	}
	if _, err := config.Load([]string{"extra"}, env(nil), io.Discard); err == nil {
		t.Error("positional argument accepted")
	}
	out.Reset()
	if _, err := config.Load([]string{"-h"}, env(nil), &out); !errors.Is(err, config.ErrHelp) {
		t.Errorf("-h: %v", err)
	}
	for _, want := range []string{"-roles", "ROLES", "-kafka-brokers", "SHUTDOWN_TIMEOUT"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("usage lacks %s:\n%s", want, out.String())
		}
	}
}

func TestLoadBulkSettings(t *testing.T) {
	c, err := config.Load([]string{"--smtp-tls=STARTTLS"}, env(map[string]string{
		"KAFKA_BROKERS": "k:9092", "IMPORT_QUEUE": "Kafka", "IMPORT_KAFKA_TOPIC": "hr.imports", "IMPORT_CONSUMERS": "8",
		"SMTP_ADDR": "", "SMTP_USERNAME": "mailer", "SMTP_PASSWORD": "pa55-word",
		"HRIS_URL": "https://hris.example.com/v1/employees", "HRIS_TENANT_ID": "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
		"HRIS_TOKEN": "tok-123", "HRIS_SCHEDULE": "@every 6h", "HRIS_DEACTIVATE_MISSING": "true", "HRIS_PAGE_SIZE": "200",
	}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.ImportQueue != config.ImportQueueKafka || c.ImportKafkaTopic != "hr.imports" || c.ImportConsumers != 8 ||
		c.SMTPAddr != "" || c.SMTPTLS != "starttls" || c.SMTPPassword.Reveal() != "pa55-word" ||
		c.HRISToken.Reveal() != "tok-123" || c.HRISSchedule != "@every 6h" || !c.HRISDeactivateMissing || c.HRISPageSize != 200 {
		t.Errorf("got %+v", c)
	}
	// A dumped Config shows no secret, however it is printed.
	for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
		if out := fmt.Sprintf(format, c); strings.Contains(out, "pa55-word") || strings.Contains(out, "tok-123") {
			t.Errorf("Sprintf(%q) leaks a secret: %s", format, out)
		}
	}
	if out, _ := json.Marshal(c); strings.Contains(string(out), "pa55-word") || strings.Contains(string(out), "tok-123") {
		t.Errorf("JSON leaks a secret: %s", out)
	}
}

func TestLoadBulkCombinations(t *testing.T) {
	cases := []struct {
		env  map[string]string
		want []string
	}{
		{map[string]string{"IMPORT_QUEUE": "kafka", "KAFKA_BROKERS": ""}, []string{"IMPORT_QUEUE: kafka needs KAFKA_BROKERS"}},
		{map[string]string{"IMPORT_QUEUE": "kafka", "IMPORT_KAFKA_TOPIC": "users.events"}, []string{"IMPORT_KAFKA_TOPIC: \"users.events\" is the events topic"}},
		{map[string]string{"HRIS_URL": "https://hris.example.com"}, []string{"HRIS_TENANT_ID: required when HRIS_URL is set",
			"HRIS_TOKEN: required when HRIS_URL is set"}},
		{map[string]string{"SMTP_PASSWORD": "hunter2-secret"}, []string{"SMTP_PASSWORD: set without SMTP_USERNAME"}},
	}
	for _, c := range cases {
		_, err := config.Load(nil, env(c.env), io.Discard)
		if err == nil {
			t.Errorf("%v accepted", c.env)
			continue
		}
		for _, want := range c.want {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%v: error %q lacks %q", c.env, err, want)
			}
		}
		if strings.Contains(err.Error(), "secret") {
			t.Errorf("%v: error leaks the secret: %v", c.env, err)
		}
	}
}

var defaultCommands = config.Commands{CommandGroupMax: 32, CommandGroupsInFlight: 2}
