package metrics_test

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/userservice/userservice/adapters/metrics"
)

func TestCommandsRecordsCountAndSeconds(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := metrics.NewCommands(reg)
	if err != nil {
		t.Fatal(err)
	}
	m.CommandHandled("RegisterUser", "changed", 1500*time.Microsecond)
	m.CommandHandled("RegisterUser", "changed", 2500*time.Microsecond)
	m.CommandHandled("RegisterUser", "rejected", time.Millisecond)

	want := `
# HELP userservice_commands_total Commands handled, by command and outcome (changed, unchanged, replayed, rejected, conflict, error).
# TYPE userservice_commands_total counter
userservice_commands_total{command="RegisterUser",outcome="changed"} 2
userservice_commands_total{command="RegisterUser",outcome="rejected"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "userservice_commands_total"); err != nil {
		t.Error(err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "userservice_command_duration_seconds" {
			continue
		}
		for _, metric := range mf.GetMetric() {
			h := metric.GetHistogram()
			if metric.GetLabel()[1].GetValue() == "changed" {
				// Fractions of a second, not whole seconds truncated to zero.
				if got := h.GetSampleSum(); got < 0.0039 || got > 0.0041 {
					t.Errorf("duration sum = %v s, want 0.004", got)
				}
			}
		}
		return
	}
	t.Error("duration histogram not gathered")
}

func TestNewCommandsRefusesDoubleRegistration(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := metrics.NewCommands(reg); err != nil {
		t.Fatal(err)
	}
	if _, err := metrics.NewCommands(reg); err == nil {
		t.Error("second registration on one registry accepted")
	}
	if _, err := metrics.NewCommands(nil); err == nil {
		t.Error("nil registerer accepted")
	}
}
