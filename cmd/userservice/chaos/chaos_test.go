//go:build chaos

package chaos

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// figures are what a scenario (or the whole run) measured.
type figures struct {
	faults, crashes                           int
	sent, acked, changed, rejected, unacked   int
	unackedApplied, attempts, uncertainUsers  int
	events, replayed                          int
	kafkaRecords, kafkaIDs, duplicates        int
	directoryApplied                          int
	importRows, importCreated, importRejected int
	parkedRetried                             int
	notices, noticePosts                      int
	erasures, tombstones, scimErasures        int
}

func (f *figures) add(o figures) {
	f.faults += o.faults
	f.crashes += o.crashes
	f.sent += o.sent
	f.acked += o.acked
	f.changed += o.changed
	f.rejected += o.rejected
	f.unacked += o.unacked
	f.unackedApplied += o.unackedApplied
	f.attempts += o.attempts
	f.uncertainUsers += o.uncertainUsers
	f.events += o.events
	f.replayed += o.replayed
	f.kafkaRecords += o.kafkaRecords
	f.kafkaIDs += o.kafkaIDs
	f.duplicates += o.duplicates
	f.directoryApplied += o.directoryApplied
	f.importRows += o.importRows
	f.importCreated += o.importCreated
	f.importRejected += o.importRejected
	f.parkedRetried += o.parkedRetried
	f.notices += o.notices
	f.noticePosts += o.noticePosts
	f.erasures += o.erasures
	f.tombstones += o.tombstones
	f.scimErasures += o.scimErasures
}

func (f figures) String() string {
	return fmt.Sprintf("faults injected %d | commands sent %d (attempts %d), acknowledged %d (%d changed), refused %d, unacknowledged %d (%d of them applied in full, the rest absent) | "+
		"events %d, replayed %d | Kafka records %d, distinct ids %d, duplicates suppressed %d | directory applied %d | "+
		"import rows %d = %d created + %d rejected, parked and retried %d | notices %d (webhook posts %d) | erasures %d (%d sent over SCIM; Kafka tombstones %d) | unexpected process exits %d",
		f.faults, f.sent, f.attempts, f.acked, f.changed, f.rejected, f.unacked, f.unackedApplied,
		f.events, f.replayed, f.kafkaRecords, f.kafkaIDs, f.duplicates, f.directoryApplied,
		f.importRows, f.importCreated, f.importRejected, f.parkedRetried, f.notices, f.noticePosts, f.erasures, f.scimErasures, f.tombstones, f.crashes)
}

// TestChaos runs every configured fault (CHAOS_FAULTS, default the short
// form) under a mixed workload, CHAOS_ROUNDS times, checking the invariants
// after each and printing the figures.
func TestChaos(t *testing.T) {
	set := loadSettings(t)
	env := newEnvironment(t)
	var total figures
	var failed []string
	start := time.Now()
	for round := 1; round <= set.rounds; round++ {
		for _, name := range set.faults {
			f := faults[name]
			ok := t.Run(fmt.Sprintf("round%d/%s", round, name), func(t *testing.T) {
				s := newScenario(t, env, set)
				s.run(f)
				s.check()
				s.stopAll()
				fmt.Fprintf(os.Stdout, "chaos %-14s round %d: %s\n", name, round, s.fig)
				total.add(s.fig)
			})
			if !ok {
				failed = append(failed, fmt.Sprintf("round%d/%s", round, name))
			}
		}
	}
	fmt.Fprintf(os.Stdout, "chaos TOTAL (%d rounds of %s, %s): %s\n", set.rounds, strings.Join(set.faults, ","),
		time.Since(start).Round(time.Second), total)
	if len(failed) > 0 {
		fmt.Fprintf(os.Stdout, "chaos FAILED: %s\n", strings.Join(failed, ", "))
	}
}
