//go:build chaos

package chaos

import (
	"slices"
	"strings"
	"time"
)

// fault is one disruption; inject returns once it is healed.
type fault struct {
	name   string
	inject func(s *scenario)
}

// faults are the disruptions the suite knows, by name (CHAOS_FAULTS).
var faults = faultSet()

func faultSet() map[string]fault {
	set := map[string]fault{}
	register := func(name string, inject func(s *scenario)) { set[name] = fault{name: name, inject: inject} }
	for _, role := range roleNames {
		register("kill-"+role, func(s *scenario) { s.killRestart(role) })
	}
	register("kill-notifier", func(s *scenario) { s.killNotifierMidSend() })
	register("pg-restart", func(s *scenario) {
		s.env.pg.Stop(s.t) // fast shutdown: open transactions roll back
		time.Sleep(2 * time.Second)
		s.env.pg.Start(s.t)
	})
	register("kafka-stop", func(s *scenario) {
		s.env.broker.Stop(s.t)
		time.Sleep(10 * time.Second)
		s.env.broker.Start(s.t)
	})
	register("pg-stall", func(s *scenario) {
		s.env.pgProxy.Freeze() // every connection of every role hangs
		time.Sleep(8 * time.Second)
		s.env.pgProxy.Thaw()
	})
	register("pg-drop", func(s *scenario) {
		s.t.Logf("dropped %d PostgreSQL connections", s.env.pgProxy.Drop())
	})
	register("kafka-stall", func(s *scenario) {
		s.env.kafkaProxy.Freeze() // the relay's publishes and the directory's fetches hang
		time.Sleep(10 * time.Second)
		s.env.kafkaProxy.Thaw()
	})
	register("hostile-tenant", func(s *scenario) { s.hostileTenant() })
	register("kafka-drop", func(s *scenario) {
		s.t.Logf("dropped %d Kafka connections", s.env.kafkaProxy.Drop())
	})
	return set
}

// faultNames lists the faults in a stable order: kills first.
func faultNames() []string {
	var kills, others []string
	for n := range faults {
		if strings.HasPrefix(n, "kill-") {
			kills = append(kills, n)
		} else {
			others = append(others, n)
		}
	}
	slices.Sort(kills)
	slices.Sort(others)
	return append(kills, others...)
}

// killNotifierMidSend kills the notifier while the webhook receiver holds
// its post unanswered: the notice was received but never recorded as sent,
// so it must go out again once its lease (NOTIFY_LEASE) runs out.
func (s *scenario) killNotifierMidSend() {
	hd := s.env.hooks.holdNext(s.tag)
	defer close(hd.release)
	s.waitImport() // the notice is queued when the job ends
	select {
	case <-hd.arrived:
	case <-time.After(2 * time.Minute):
		s.t.Fatal("the import's notice was not posted within 2 minutes")
	}
	s.killRestart("notifier")
}

// killRestart kills the role's process with SIGKILL mid-work and starts it
// again, as a supervisor would after a crash.
func (s *scenario) killRestart(role string) {
	p := s.procs[role]
	p.kill(s.t)
	time.Sleep(500 * time.Millisecond)
	p.restart(s.t)
	if role == "api" {
		waitHTTP(s.t, s.apiBase+"/healthz", 30*time.Second)
	}
}
