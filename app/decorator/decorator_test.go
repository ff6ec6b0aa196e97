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
	h := Command[command.UpdateUser](failing{errors.New("db down")}, "UpdateUser", zap.New(core), m)
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
