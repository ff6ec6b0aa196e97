package config

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

// Log formats (LOG_FORMAT).
const (
	LogFormatJSON    = "json"
	LogFormatConsole = "console"
	// LogFormatAuto is console when standard error is a terminal, else JSON.
	LogFormatAuto = "auto"
)

// ConsoleConfig configures the admin console and the first run of `make run`.
type ConsoleConfig struct {
	// SessionKey seals console session cookies (CONSOLE_SESSION_KEY, 64 hex
	// characters). Empty means a random key per process: sessions end when
	// the process restarts and are not shared between api processes.
	SessionKey []byte
	// LogFormat is json, console or auto (LOG_FORMAT).
	LogFormat string
	// DemoOnEmptyDatabase creates a demo tenant and an admin token and prints
	// the console's URL and the token when the database has no tenant yet
	// (DEMO_ON_EMPTY_DATABASE). For `make run` only: never turn it on in
	// production, where it would print a secret to the log's terminal.
	DemoOnEmptyDatabase bool
}

func consoleSettings() []setting {
	return []setting{
		{"CONSOLE_SESSION_KEY", "console-session-key", "", "64 hex characters sealing admin console sessions; empty = random per process", parseSessionKey},
		{"LOG_FORMAT", "log-format", LogFormatJSON, "json, console (human-readable) or auto (console on a terminal, else json)", parseLogFormat},
		{"DEMO_ON_EMPTY_DATABASE", "demo-on-empty-database", "false", "on a database without tenants, create a demo tenant and print the console URL and a sign-in token (make run sets it; never in production)", parseDemo},
	}
}

func parseSessionKey(raw string, c *Config) error {
	if raw == "" {
		return nil
	}
	key, err := hex.DecodeString(raw)
	if err != nil || len(key) != 32 {
		return fmt.Errorf("must be 64 hex characters (32 bytes), e.g. from `openssl rand -hex 32`")
	}
	c.Console.SessionKey = key
	return nil
}

func parseLogFormat(raw string, c *Config) error {
	switch f := strings.ToLower(raw); f {
	case LogFormatJSON, LogFormatConsole, LogFormatAuto:
		c.Console.LogFormat = f
		return nil
	}
	return fmt.Errorf("%q is not json, console or auto", raw)
}

func parseDemo(raw string, c *Config) error {
	b, err := strconv.ParseBool(raw)
	if err != nil {
		return fmt.Errorf("%q is not a boolean (true or false)", raw)
	}
	c.Console.DemoOnEmptyDatabase = b
	return nil
}
