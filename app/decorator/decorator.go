// Package decorator wraps command handlers with the cross-cutting concerns
// (logging, metrics), applied once when the application is built.
package decorator

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/app/errkind"
)

// Metrics records one handled command.
type Metrics interface {
	CommandHandled(command, outcome string, d time.Duration)
}

// Command wraps h so every call is logged once and measured.
func Command[C any](h command.Handler[C], name string, log *zap.Logger, m Metrics) command.Handler[C] {
	return commandDecorator[C]{next: h, name: name, log: log, metrics: m}
}

type commandDecorator[C any] struct {
	next    command.Handler[C]
	name    string
	log     *zap.Logger
	metrics Metrics
}

func (d commandDecorator[C]) Handle(ctx context.Context, cmd C) (command.Result, error) {
	start := time.Now()
	res, err := d.next.Handle(ctx, cmd)
	elapsed := time.Since(start)
	outcome := Outcome(res, err)
	if d.metrics != nil {
		d.metrics.CommandHandled(d.name, outcome, elapsed)
	}
	fields := []zap.Field{zap.String("command", d.name), zap.String("outcome", outcome), zap.Duration("took", elapsed)}
	if env, ok := any(cmd).(interface{ CommandEnvelope() command.Envelope }); ok {
		e := env.CommandEnvelope()
		fields = append(fields, zap.String("tenant_id", e.TenantID), zap.String("command_id", e.CommandID),
			zap.String("correlation_id", e.CorrelationID), zap.String("source", string(e.Source)))
	}
	switch outcome {
	case "error":
		d.log.Error("command failed", append(fields, zap.Error(err))...)
	case "rejected", "conflict":
		d.log.Info("command refused", append(fields, zap.Error(err))...)
	default:
		d.log.Debug("command handled", fields...)
	}
	return res, err
}

// Outcome classifies a command's result for logs and metrics: changed,
// unchanged, replayed, rejected (a business rule said no), conflict, error.
func Outcome(res command.Result, err error) string {
	switch {
	case err == nil && res.Replayed:
		return "replayed"
	case err == nil && res.Changed:
		return "changed"
	case err == nil:
		return "unchanged"
	case errkind.Of(err) == errkind.Concurrency:
		return "conflict"
	case errkind.Of(err).Permanent():
		return "rejected"
	}
	return "error"
}
