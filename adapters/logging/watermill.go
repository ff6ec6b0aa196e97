package logging

import (
	"context"
	"errors"
	"sort"

	"github.com/ThreeDotsLabs/watermill"
	"go.uber.org/zap"
)

// WatermillAdapter is a watermill.LoggerAdapter writing to a zap logger.
// Watermill's Trace level has no zap counterpart; it maps to Debug, because
// Watermill traces every message and that volume belongs with debug output.
type WatermillAdapter struct {
	log *zap.Logger
}

// NewWatermill adapts log to Watermill. A nil log gives a no-op adapter, so
// tests and tools can pass nothing without a nil check at every call.
func NewWatermill(log *zap.Logger) *WatermillAdapter {
	if log == nil {
		log = zap.NewNop()
	}
	return &WatermillAdapter{log: log}
}

var _ watermill.LoggerAdapter = (*WatermillAdapter)(nil)

// Error logs at error level with err attached, except errors of a cancelled
// context: Watermill's subscribers report their interrupted transaction as an
// error when they are stopped, and a clean shutdown is not an error.
func (a *WatermillAdapter) Error(msg string, err error, fields watermill.LogFields) {
	if errors.Is(err, context.Canceled) {
		a.log.Debug(msg, append(zapFields(fields), zap.Error(err))...)
		return
	}
	a.log.Error(msg, append(zapFields(fields), zap.Error(err))...)
}

// Info logs at info level.
func (a *WatermillAdapter) Info(msg string, fields watermill.LogFields) {
	a.log.Info(msg, zapFields(fields)...)
}

// Debug logs at debug level.
func (a *WatermillAdapter) Debug(msg string, fields watermill.LogFields) {
	a.log.Debug(msg, zapFields(fields)...)
}

// Trace logs at debug level (zap has no trace level).
func (a *WatermillAdapter) Trace(msg string, fields watermill.LogFields) {
	a.log.Debug(msg, zapFields(fields)...)
}

// With returns an adapter that adds fields to every entry.
func (a *WatermillAdapter) With(fields watermill.LogFields) watermill.LoggerAdapter {
	return &WatermillAdapter{log: a.log.With(zapFields(fields)...)}
}

// zapFields converts Watermill's map in key order, so the same fields always
// print in the same order and log lines can be diffed.
func zapFields(fields watermill.LogFields) []zap.Field {
	if len(fields) == 0 {
		return nil
	}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]zap.Field, 0, len(keys)+1)
	for _, k := range keys {
		out = append(out, zap.Any(k, fields[k]))
	}
	return out
}
