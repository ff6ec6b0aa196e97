package config_test

import (
	"errors"
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
		"DATABASE_URL":         "postgres://u:secret@host:notaport/db",
		"DATABASE_MAX_CONNS":   "-1",
		"KAFKA_BROKERS":        "k1:9092,nohost,:9092",
		"HTTP_ADDR":            "localhost",
		"LOG_LEVEL":            "loud",
		"ROLES":                "api,web",
		"SHUTDOWN_TIMEOUT":     "soon",
		"MIGRATE_ON_START":     "maybe",
		"KAFKA_TOPIC":          "users events",
		"RELAY_SHARDS":         "1,1,9",
		"RELAY_CONSUMER_GROUP": "",
		"API_RATE_LIMIT":       "fast",
		"API_RATE_BURST":       "0",
		"OUTBOX_POLL_INTERVAL": "-5ms",
		"OUTBOX_RETENTION":     "forever",
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
	for _, want := range []string{`"nohost"`, `":9092"`, `unknown role "web"`, "valid roles are api, importer, relay, notifier, hris-sync, directory or all"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error does not say %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "secret") {
		t.Errorf("error leaks the database password:\n%s", msg)
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
