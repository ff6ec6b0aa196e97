// Package decorator wraps every command and query handler with the
// cross-cutting concerns (logging, metrics, a tracing hook), applied once when
// the application is built, so handler bodies do none of it.
package decorator

import (
	"context"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/app/errkind"
	"github.com/userservice/userservice/app/query"
)

// Metrics records one handled command.
type Metrics interface {
	CommandHandled(command, outcome string, d time.Duration)
}

// QueryMetrics records one handled query. A Metrics that also implements it
// measures queries too.
type QueryMetrics interface {
	QueryHandled(query, outcome string, d time.Duration)
}

// Tracer is the hook a tracing library plugs into: Start opens a span named
// after the handler and returns the context that carries it and the function
// that ends it with the handler's error (nil on success).
type Tracer interface {
	Start(ctx context.Context, name string) (context.Context, func(err error))
}

// Hooks are what every handler is wrapped with. Each may be nil: no log
// lines, no measurements, no spans.
type Hooks struct {
	Log     *zap.Logger
	Metrics Metrics
	Tracer  Tracer
}

func (h Hooks) logger() *zap.Logger {
	if h.Log == nil {
		return zap.NewNop()
	}
	return h.Log
}

// Command wraps h so every call is traced, logged once and measured.
func Command[C, R any](h command.Handler[C, R], name string, hooks Hooks) command.Handler[C, R] {
	return commandDecorator[C, R]{next: h, name: name, hooks: hooks, log: hooks.logger()}
}

type commandDecorator[C, R any] struct {
	next  command.Handler[C, R]
	name  string
	hooks Hooks
	log   *zap.Logger
}

func (d commandDecorator[C, R]) Handle(ctx context.Context, cmd C) (R, error) {
	ctx, end := startSpan(ctx, d.hooks.Tracer, "command "+d.name)
	start := time.Now()
	res, err := d.next.Handle(ctx, cmd)
	elapsed := time.Since(start)
	end(err)
	outcome := outcomeOf(res, err)
	if d.hooks.Metrics != nil {
		d.hooks.Metrics.CommandHandled(d.name, outcome, elapsed)
	}
	var (
		level zapcore.Level
		msg   string
	)
	switch outcome {
	case "error":
		level, msg = zap.ErrorLevel, "command failed"
	case "rejected", "conflict":
		level, msg = zap.InfoLevel, "command refused"
	case "deferred":
		level, msg = zap.DebugLevel, "command deferred"
	default:
		level, msg = zap.DebugLevel, "command handled"
	}
	// Check first: the fields of a line the level leaves out (every
	// successful command at info) cost allocations on every command.
	ce := d.log.Check(level, msg)
	if ce == nil {
		return res, err
	}
	fields := []zap.Field{zap.String("command", d.name), zap.String("outcome", outcome), zap.Duration("took", elapsed)}
	if env, ok := any(cmd).(interface{ CommandEnvelope() command.Envelope }); ok {
		e := env.CommandEnvelope()
		fields = append(fields, zap.String("tenant_id", e.TenantID), zap.String("command_id", e.CommandID),
			zap.String("correlation_id", e.CorrelationID), zap.String("source", string(e.Source)))
	}
	if err != nil {
		fields = append(fields, zap.Error(err))
	}
	ce.Write(fields...)
	return res, err
}

// Query wraps h so every call is traced, measured and logged at debug level
// (an error of ours at error level).
func Query[Q, R any](h query.Handler[Q, R], name string, hooks Hooks) query.Handler[Q, R] {
	qm, _ := hooks.Metrics.(QueryMetrics)
	return queryDecorator[Q, R]{next: h, name: name, hooks: hooks, metrics: qm, log: hooks.logger()}
}

type queryDecorator[Q, R any] struct {
	next    query.Handler[Q, R]
	name    string
	hooks   Hooks
	metrics QueryMetrics
	log     *zap.Logger
}

func (d queryDecorator[Q, R]) Handle(ctx context.Context, q Q) (R, error) {
	ctx, end := startSpan(ctx, d.hooks.Tracer, "query "+d.name)
	start := time.Now()
	res, err := d.next.Handle(ctx, q)
	elapsed := time.Since(start)
	end(err)
	outcome := errorOutcome(err)
	if d.metrics != nil {
		d.metrics.QueryHandled(d.name, outcome, elapsed)
	}
	level, msg := zap.DebugLevel, "query handled"
	if outcome == "error" {
		level, msg = zap.ErrorLevel, "query failed"
	}
	if ce := d.log.Check(level, msg); ce != nil {
		ce.Write(zap.String("query", d.name), zap.String("outcome", outcome), zap.Duration("took", elapsed), zap.Error(err))
	}
	return res, err
}

func startSpan(ctx context.Context, t Tracer, name string) (context.Context, func(error)) {
	if t == nil {
		return ctx, func(error) {}
	}
	return t.Start(ctx, name)
}

// Outcome classifies a command's result for logs and metrics: changed,
// unchanged, replayed, rejected (the command is wrong as asked), conflict
// (retry on fresh state), error.
func Outcome(res command.Result, err error) string {
	switch {
	case err == nil && res.Replayed:
		return "replayed"
	case err == nil && res.Changed:
		return "changed"
	case err == nil:
		return "unchanged"
	}
	return errorOutcome(err)
}

// outcomeOf is Outcome for a handler of any result type: a group command's
// result reads as a user command's; any other succeeded as "ok".
func outcomeOf[R any](res R, err error) string {
	switch r := any(res).(type) {
	case command.Result:
		return Outcome(r, err)
	case command.GroupResult:
		return Outcome(command.Result{Changed: r.Changed, Replayed: r.Replayed}, err)
	}
	return errorOutcome(err)
}

// errorOutcome classifies by the error's kind: ok, conflict, deferred,
// rejected, error.
func errorOutcome(err error) string {
	switch k := errkind.Of(err); {
	case err == nil:
		return "ok"
	case k == errkind.Concurrency:
		return "conflict"
	case k == errkind.Deferred:
		return "deferred"
	case k.Permanent():
		return "rejected"
	}
	return "error"
}
