//go:build chaos

package chaos

import (
	"context"
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
	register("kill-importer-mid-chunk", func(s *scenario) { s.killImporterMidChunk() })
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

// killImporterMidChunk kills the importer while one of its chunk
// transactions is open (it names itself in pg_stat_activity until its
// commit: postgres.APIActivity): the chunk's rows, outcomes, events and
// counters must all be rolled back together, and the redelivered chunk
// apply each row once (the checks count rows, users, events and commands).
func (s *scenario) killImporterMidChunk() {
	deadline := time.Now().Add(time.Minute)
	for {
		var open int
		err := s.env.pool.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
			WHERE application_name = 'userservice importer chunk' AND xact_start IS NOT NULL`).Scan(&open)
		if err != nil {
			s.t.Fatal(err)
		}
		if open > 0 {
			break
		}
		if j := s.job(); j.finished() || time.Now().After(deadline) {
			s.t.Fatalf("no chunk transaction of the importer seen open before the import ended (%+v)", j)
		}
		time.Sleep(2 * time.Millisecond)
	}
	s.t.Logf("a chunk transaction is open: killing the importer")
	s.killRestart("importer")
}
