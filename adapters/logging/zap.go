// Package logging builds the process's zap logger and adapts it to the
// Watermill logger interface, so the service, Watermill and the Kafka client
// all write one structured log stream.
package logging

import (
	"fmt"
	"strings"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// Levels lists the level names NewZap accepts, for usage and error texts.
const Levels = "debug, info, warn, error"

// ParseLevel turns a level name (debug, info, warn, error; case-insensitive)
// into a zap level. It is separate from NewZap so configuration can be
// validated before any logger exists.
func ParseLevel(level string) (zapcore.Level, error) {
	switch strings.ToLower(strings.TrimSpace(level)) {
	case "debug":
		return zapcore.DebugLevel, nil
	case "info":
		return zapcore.InfoLevel, nil
	case "warn", "warning":
		return zapcore.WarnLevel, nil
	case "error":
		return zapcore.ErrorLevel, nil
	}
	return zapcore.InfoLevel, fmt.Errorf("unknown log level %q: want one of %s", level, Levels)
}

// NewZap returns a JSON logger writing to stderr at the given level.
// development switches to zap's development settings (console encoding,
// stack traces on warnings), meant for a person reading a terminal.
func NewZap(level string, development bool) (*zap.Logger, error) {
	lvl, err := ParseLevel(level)
	if err != nil {
		return nil, err
	}
	cfg := zap.NewProductionConfig()
	if development {
		cfg = zap.NewDevelopmentConfig()
	}
	cfg.Level = zap.NewAtomicLevelAt(lvl)
	// ISO-8601 times read better in incident timelines than epoch floats and
	// still sort lexically.
	cfg.EncoderConfig.EncodeTime = zapcore.ISO8601TimeEncoder
	log, err := cfg.Build()
	if err != nil {
		return nil, fmt.Errorf("build zap logger: %w", err)
	}
	return log, nil
}
