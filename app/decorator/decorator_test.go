package decorator

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/app/query"
	"github.com/userservice/userservice/domain/user"
)

func TestOutcomeClassifiesWrappedErrors(t *testing.T) {
	cases := []struct {
		res  command.Result
		err  error
		want string
	}{
		{command.Result{Changed: true}, nil, "changed"},
		{command.Result{}, nil, "unchanged"},
		{command.Result{Changed: true, Replayed: true}, nil, "replayed"},
		{command.Result{}, fmt.Errorf("attempt 3: %w", user.ErrVersionConflict), "conflict"},
		{command.Result{}, fmt.Errorf("store: %w", user.ErrSeatsExhausted), "rejected"},
		{command.Result{}, &user.ValidationError{Fields: []user.FieldError{{Field: "email"}}}, "rejected"},
		{command.Result{}, fmt.Errorf("x: %w", &user.ValidationError{}), "rejected"},
		{command.Result{}, errors.New("connection refused"), "error"},
	}
	for _, c := range cases {
		if got := Outcome(c.res, c.err); got != c.want {
			t.Errorf("Outcome(%+v, %v) = %s, want %s", c.res, c.err, got, c.want)
		}
	}
}

type recordingMetrics struct{ calls []string }

func (m *recordingMetrics) CommandHandled(cmd, outcome string, d time.Duration) {
	m.calls = append(m.calls, cmd+":"+outcome)
}

type failing struct{ err error }

func (f failing) Handle(context.Context, command.UpdateUser) (command.Result, error) {
	return command.Result{}, f.err
}

func TestCommandDecoratorLogsOnceAndMeasures(t *testing.T) {
	core, logs := observer.New(zap.DebugLevel)
	m := &recordingMetrics{}
	h := Command[command.UpdateUser](failing{errors.New("db down")}, "UpdateUser", Hooks{Log: zap.New(core), Metrics: m})
	cmd := command.UpdateUser{Envelope: command.Envelope{CommandID: "c1", TenantID: "t1", CorrelationID: "corr"}}
	if _, err := h.Handle(context.Background(), cmd); err == nil {
		t.Fatal("error swallowed")
	}
	if len(m.calls) != 1 || m.calls[0] != "UpdateUser:error" {
		t.Fatalf("metrics = %v", m.calls)
	}
	entries := logs.All()
	if len(entries) != 1 || entries[0].Level != zap.ErrorLevel || entries[0].ContextMap()["correlation_id"] != "corr" {
		t.Fatalf("logs = %+v", entries)
	}
}

func (m *recordingMetrics) QueryHandled(q, outcome string, d time.Duration) {
	m.calls = append(m.calls, "query:"+q+":"+outcome)
}

type getUser struct{ err error }

func (g getUser) Handle(context.Context, query.GetUser) (user.Snapshot, error) {
	return user.Snapshot{}, g.err
}

type spans struct{ started, ended []string }

func (s *spans) Start(ctx context.Context, name string) (context.Context, func(error)) {
	s.started = append(s.started, name)
	return ctx, func(err error) { s.ended = append(s.ended, fmt.Sprintf("%s:%v", name, err)) }
}

// TestQueryDecorator: a query is traced and measured; a refusal is not logged
// as a failure, an error of ours is, once.
func TestQueryDecorator(t *testing.T) {
	core, logs := observer.New(zap.InfoLevel)
	m, tr := &recordingMetrics{}, &spans{}
	hooks := Hooks{Log: zap.New(core), Metrics: m, Tracer: tr}
	ctx := context.Background()
	if _, err := Query[query.GetUser](getUser{user.ErrNotFound}, "GetUser", hooks).Handle(ctx, query.GetUser{}); !errors.Is(err, user.ErrNotFound) {
		t.Fatalf("err = %v", err)
	}
	if _, err := Query[query.GetUser](getUser{errors.New("db down")}, "GetUser", hooks).Handle(ctx, query.GetUser{}); err == nil {
		t.Fatal("error swallowed")
	}
	if fmt.Sprint(m.calls) != "[query:GetUser:rejected query:GetUser:error]" {
		t.Errorf("metrics = %v", m.calls)
	}
	if len(tr.started) != 2 || tr.ended[0] != "query GetUser:user not found" {
		t.Errorf("spans = %+v", tr)
	}
	if entries := logs.All(); len(entries) != 1 || entries[0].Level != zap.ErrorLevel {
		t.Errorf("logs = %+v", entries)
	}
}

type revoke struct{}

func (revoke) Handle(context.Context, command.RevokeToken) (command.Nothing, error) {
	return command.Nothing{}, nil
}

// TestCommandOfAnyResult: a command whose result is not a command.Result is
// measured as ok, and nil hooks are allowed.
func TestCommandOfAnyResult(t *testing.T) {
	m := &recordingMetrics{}
	if _, err := Command[command.RevokeToken](revoke{}, "RevokeToken", Hooks{Metrics: m}).Handle(context.Background(), command.RevokeToken{}); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(m.calls) != "[RevokeToken:ok]" {
		t.Errorf("metrics = %v", m.calls)
	}
	if _, err := Command[command.RevokeToken](revoke{}, "RevokeToken", Hooks{}).Handle(context.Background(), command.RevokeToken{}); err != nil {
		t.Fatal(err)
	}
}
