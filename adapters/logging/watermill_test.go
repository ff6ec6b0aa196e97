package logging_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/ThreeDotsLabs/watermill"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/userservice/userservice/adapters/logging"
)

func TestWatermillAdapterLevelsAndFields(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	a := logging.NewWatermill(zap.New(core)).With(watermill.LogFields{"component": "relay"})

	a.Error("boom", errors.New("broken"), watermill.LogFields{"topic": "t"})
	a.Info("info", nil)
	a.Debug("debug", watermill.LogFields{"n": 1})
	a.Trace("trace", watermill.LogFields{"b": "2", "a": "1"})

	entries := logs.AllUntimed()
	want := []struct {
		msg   string
		level zapcore.Level
	}{
		{"boom", zapcore.ErrorLevel},
		{"info", zapcore.InfoLevel},
		{"debug", zapcore.DebugLevel},
		{"trace", zapcore.DebugLevel},
	}
	if len(entries) != len(want) {
		t.Fatalf("got %d entries, want %d", len(entries), len(want))
	}
	for i, w := range want {
		e := entries[i]
		if e.Message != w.msg || e.Level != w.level {
			t.Errorf("entry %d = %q@%v, want %q@%v", i, e.Message, e.Level, w.msg, w.level)
		}
		if e.ContextMap()["component"] != "relay" {
			t.Errorf("entry %d lost the With field: %v", i, e.ContextMap())
		}
	}
	if got := entries[0].ContextMap(); got["error"] != "broken" || got["topic"] != "t" {
		t.Errorf("error entry fields = %v", got)
	}
	if keys := entries[3].Context; keys[1].Key != "a" || keys[2].Key != "b" {
		t.Errorf("trace fields not in key order: %v", keys)
	}
}

func TestParseLevel(t *testing.T) {
	for _, ok := range []string{"debug", "INFO", "warn", "error"} {
		if _, err := logging.ParseLevel(ok); err != nil {
			t.Errorf("ParseLevel(%q) = %v", ok, err)
		}
	}
	if _, err := logging.ParseLevel("loud"); err == nil {
		t.Error("ParseLevel(loud) accepted")
	}
	if _, err := logging.NewZap("loud", false); err == nil {
		t.Error("NewZap(loud) accepted")
	}
	log, err := logging.NewZap("warn", false)
	if err != nil {
		t.Fatal(err)
	}
	if log.Core().Enabled(zapcore.InfoLevel) || !log.Core().Enabled(zapcore.WarnLevel) {
		t.Error("NewZap(warn) does not filter at warn")
	}
}

// A subscriber stopped by its context reports the interrupted transaction as
// an error; that is a clean shutdown, so it is logged at debug level.
func TestWatermillAdapterLogsCancellationAtDebug(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	a := logging.NewWatermill(zap.New(core))
	a.Error("could not commit tx for querying message", fmt.Errorf("timeout: %w", context.Canceled), nil)
	a.Error("real failure", context.DeadlineExceeded, nil)
	entries := logs.AllUntimed()
	if len(entries) != 2 || entries[0].Level != zapcore.DebugLevel || entries[1].Level != zapcore.ErrorLevel {
		t.Fatalf("entries = %+v; want the cancellation at debug, the deadline at error", entries)
	}
}
