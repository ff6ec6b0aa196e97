//go:build chaos

package chaos

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/IBM/sarama"

	"github.com/userservice/userservice/adapters/eventcontract"
	"github.com/userservice/userservice/adapters/kafka/kafkatest"
	"github.com/userservice/userservice/adapters/postgres"
	"github.com/userservice/userservice/adapters/projection"
	"github.com/userservice/userservice/domain/user"
)

// stored is one event of the scenario's tenant in the event store.
type stored struct {
	id, stream, command, typ string
	version                  int
}

// check runs every invariant after the scenario; each failure is reported,
// not just the first.
func (s *scenario) check() {
	events := s.events()
	s.fig.events = len(events)
	s.erasedAt = erasures(events)
	s.checkCommands(events)
	s.checkStreams()
	s.checkSeats()
	s.checkReplay()
	s.checkExpectations()
	s.checkKafka(events)
	s.checkDirectory(len(events))
	s.checkImport()
	s.checkNotice()
	s.checkErasures()
}

func (s *scenario) events() []stored {
	rows, err := s.env.pool.Query(context.Background(),
		`SELECT event_id::text, stream_id::text, command_id, type, version FROM events WHERE tenant_id = $1`, s.tenant)
	if err != nil {
		s.t.Fatal(err)
	}
	defer rows.Close()
	var out []stored
	for rows.Next() {
		var e stored
		if err := rows.Scan(&e.id, &e.stream, &e.command, &e.typ, &e.version); err != nil {
			s.t.Fatal(err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		s.t.Fatal(err)
	}
	return out
}

// checkCommands: every acknowledged command that changed something is in
// the event store exactly once, with the version it answered; one that
// changed nothing wrote its command record only (its key is taken), one
// refused wrote nothing; one never acknowledged is either fully there (its
// event, if any, and its command record) or absent. The API records a
// client's Idempotency-Key as command id "key:<key>".
func (s *scenario) checkCommands(events []stored) {
	t := s.t
	byCommand := map[string][]stored{}
	for _, e := range events {
		byCommand[e.command] = append(byCommand[e.command], e)
	}
	records := s.commandRecords()
	sent, _ := s.load.snapshot()
	keys := map[string]bool{}
	scimErased := map[string]bool{} // users a SCIM DELETE was sent for
	for _, c := range sent {
		if c.scim {
			scimErased[c.userID] = true
			s.checkSCIMErasure(c)
			continue
		}
		id := "key:" + c.key
		keys[id] = true
		s.fig.sent++
		s.fig.attempts += c.attempts
		got := byCommand[id]
		switch {
		case c.acked:
			s.fig.acked++
			if c.changed {
				s.fig.changed++
			}
			want := 0
			if c.changed {
				want = 1
			}
			if len(got) != want || records[id] != 1 {
				t.Errorf("acknowledged %s %s (changed=%v): %d events, %d command records; want %d and 1",
					c.kind, c.key, c.changed, len(got), records[id], want)
			} else if want == 1 && c.kind != "erase" && got[0].version != c.version { // an erasure's 204 has no ETag
				t.Errorf("acknowledged %s %s answered version %d, its event has %d", c.kind, c.key, c.version, got[0].version)
			}
		case c.rejected():
			s.fig.rejected++
			if len(got) != 0 {
				t.Errorf("refused %s %s (status %d) wrote %d events", c.kind, c.key, c.status, len(got))
			}
		default:
			s.fig.unacked++
			s.fig.unackedApplied += len(got)
			if len(got) > 1 || records[id] > 1 || len(got) > records[id] {
				t.Errorf("unacknowledged %s %s is half there: %d events, %d command records", c.kind, c.key, len(got), records[id])
			}
		}
	}
	ofImport := func(cmd string) bool {
		for _, j := range append([]string{s.jobID}, s.probeJobs...) {
			if strings.HasPrefix(cmd, "import:"+j+":") {
				return true
			}
		}
		return false
	}
	for cmd, evs := range byCommand {
		if len(evs) > 1 {
			t.Errorf("command %s has %d events; each command here decides one", cmd, len(evs))
		}
		if !keys[cmd] && !ofImport(cmd) && !(strings.HasPrefix(cmd, "scim:") && evs[0].typ == user.TypeErased && scimErased[evs[0].stream]) {
			t.Errorf("event %s of unknown command %q", evs[0].id, cmd)
		}
	}
}

// commandRecords counts the command records of the tenant by command id.
func (s *scenario) commandRecords() map[string]int {
	rows, err := s.env.pool.Query(context.Background(), `SELECT command_id FROM commands WHERE tenant_id = $1`, s.tenant)
	if err != nil {
		s.t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			s.t.Fatal(err)
		}
		out[id]++
	}
	return out
}

// checkStreams: every stream's versions are 1..n, without a gap.
func (s *scenario) checkStreams() {
	var bad int
	err := s.env.pool.QueryRow(context.Background(), `SELECT count(*) FROM (
		SELECT stream_id FROM events WHERE tenant_id = $1 GROUP BY stream_id
		HAVING count(*) <> max(version) OR min(version) <> 1) g`, s.tenant).Scan(&bad)
	if err != nil {
		s.t.Fatal(err)
	}
	if bad > 0 {
		s.t.Errorf("%d streams have gaps in their versions", bad)
	}
}

// checkSeats: the licence seats in use are the active users, so no command
// took or freed a seat without its user's change (or the other way round).
func (s *scenario) checkSeats() {
	var used, active int
	err := s.env.pool.QueryRow(context.Background(), `SELECT seats_used,
		(SELECT count(*) FROM users WHERE tenant_id = $1 AND status = 'active') FROM tenants WHERE id = $1`,
		s.tenant).Scan(&used, &active)
	if err != nil {
		s.t.Fatal(err)
	}
	if used != active {
		s.t.Errorf("tenant seats_used = %d, but %d users are active", used, active)
	}
}

// checkReplay: the users read model equals a replay of the events, compared
// by the same rebuild `usersctl replay --verify` runs.
func (s *scenario) checkReplay() {
	r, err := projection.NewRebuilder(s.env.pool, postgres.NewUsersRebuild(),
		projection.RebuildConfig{TenantID: s.tenant, Verify: true, Opener: chaosKeys(s.t)})
	if err != nil {
		s.t.Fatal(err)
	}
	res, err := r.Run(context.Background())
	if err != nil {
		s.t.Fatalf("replay --verify: %v", err)
	}
	for i, d := range res.Differences {
		if i == 20 {
			s.t.Errorf("... %d differences in all", len(res.Differences))
			break
		}
		s.t.Errorf("read model differs from the replay: %s user %s: %s", d.Kind, d.StreamID, d.Detail)
	}
	s.fig.replayed += int(res.BulkEvents)
}

// checkExpectations: each user whose commands were all answered looks as
// the answers said.
func (s *scenario) checkExpectations() {
	_, users := s.load.snapshot()
	for _, u := range users {
		if u.uncertain {
			s.fig.uncertainUsers++
			continue
		}
		var title, department, status string
		var version int
		err := s.env.pool.QueryRow(context.Background(), `SELECT title, department, status, version FROM users
			WHERE tenant_id = $1 AND id = $2`, s.tenant, u.id).Scan(&title, &department, &status, &version)
		if err != nil {
			s.t.Errorf("user %s: %v", u.id, err)
			continue
		}
		if u.erased {
			// The erasure's answer has no version: its event's is the one.
			u.version = s.erasedAt[u.id]
		}
		if title != u.title || department != u.department || status != u.status || version != u.version {
			s.t.Errorf("user %s is (%q, %q, %s, v%d); the acknowledged commands say (%q, %q, %s, v%d)",
				u.id, title, department, status, version, u.title, u.department, u.status, u.version)
		}
	}
}

// checkKafka: every event of the tenant reached the topic, and none that is
// not in the event store; redeliveries are counted (the subscriber must
// suppress them).
func (s *scenario) checkKafka(events []stored) {
	want := make(map[string]bool, len(events))
	for _, e := range events {
		want[e.id] = true
	}
	seen := map[string]int{}
	read, foreign := 0, 0
	erased := s.newKafkaErasures()
	missing := func() int {
		n := 0
		for id := range want {
			if seen[id] == 0 {
				n++
			}
		}
		return n
	}
	msgs := kafkatest.Read(s.t, s.brokers, s.topic, 3*time.Minute, func(m []*sarama.ConsumerMessage) bool {
		for _, msg := range m[read:] {
			read++
			var e eventcontract.Envelope
			if eventcontract.IsTombstone(msg.Value) {
				erased.record(msg, true) // an erased user's tombstone: no event
				continue
			}
			if err := json.Unmarshal(msg.Value, &e); err != nil {
				s.t.Errorf("kafka record %s/%d is no event: %v", msg.Topic, msg.Offset, err)
				continue
			}
			if e.TenantID != s.tenant {
				// Another tenant's event written meanwhile, e.g. rows of an
				// earlier, interrupted run's import still in the queue.
				foreign++
				continue
			}
			seen[e.ID]++
			erased.record(msg, false)
		}
		return len(seen) >= len(want) && missing() == 0 && erased.missing() == 0
	})
	if foreign > 0 {
		s.t.Logf("%d Kafka records of other tenants ignored", foreign)
	}
	s.fig.kafkaRecords += len(msgs) - foreign
	s.fig.kafkaIDs += len(seen)
	for id, n := range seen {
		if !want[id] {
			s.t.Errorf("kafka has event %s that is not in the event store", id)
		}
		s.fig.duplicates += n - 1
	}
	if n := missing(); n > 0 {
		s.t.Errorf("%d of %d events never reached Kafka", n, len(want))
	}
	erased.report()
}

// checkDirectory: the Kafka subscriber applied every event once (its
// processed_events ids are the event store's), and its projection agrees
// with the read model.
func (s *scenario) checkDirectory(events int) {
	ctx := context.Background()
	var processed int
	deadline := time.Now().Add(2 * time.Minute)
	for {
		err := s.env.pool.QueryRow(ctx, `SELECT count(*) FROM processed_events p JOIN events e ON e.event_id::text = p.event_id
			WHERE p.consumer = 'directory' AND e.tenant_id = $1`, s.tenant).Scan(&processed)
		if err != nil {
			s.t.Fatal(err)
		}
		if processed >= events || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	s.fig.directoryApplied += processed
	if processed != events {
		s.t.Errorf("directory processed %d of %d events", processed, events)
	}
	var differ int
	err := s.env.pool.QueryRow(ctx, `SELECT count(*) FROM users u
		FULL JOIN (SELECT * FROM user_directory WHERE tenant_id = $1) d ON d.user_id = u.id
		WHERE (u.tenant_id = $1 OR u.id IS NULL) AND (u.id IS NULL OR d.user_id IS NULL OR u.version <> d.version
			OR u.email <> d.email OR u.status <> d.status OR u.department <> d.department)`, s.tenant).Scan(&differ)
	if err != nil {
		s.t.Fatal(err)
	}
	if differ > 0 {
		s.t.Errorf("%d users differ between the read model and the Kafka-fed directory", differ)
	}
}

// checkImport: the job's counts add up to the file's rows, and the users it
// created are there.
func (s *scenario) checkImport() {
	j := s.job()
	s.fig.importRows += s.rows
	s.fig.importCreated += j.Created
	s.fig.importRejected += j.Rejected
	sum := j.Created + j.Updated + j.Unchanged + j.Skipped + j.Rejected + j.Parked
	if j.Total == nil || *j.Total != s.rows || sum != s.rows || j.Rejected != s.bad || j.Parked != 0 ||
		j.Created != s.rows-s.bad || j.Status != "completed_with_errors" {
		s.t.Errorf("import job %+v (total %v): want %d rows = %d created + %d rejected, none parked", j, deref(j.Total), s.rows, s.rows-s.bad, s.bad)
	}
	var users int
	err := s.env.pool.QueryRow(context.Background(), `SELECT count(*) FROM users WHERE tenant_id = $1 AND external_id LIKE $2`,
		s.tenant, s.tag+"-E%").Scan(&users)
	if err != nil {
		s.t.Fatal(err)
	}
	if users != s.rows-s.bad {
		s.t.Errorf("the import left %d users, want %d", users, s.rows-s.bad)
	}
}

// checkNotice: the job's one notice (webhook) was delivered.
func (s *scenario) checkNotice() {
	ctx := context.Background()
	deadline := time.Now().Add(3 * time.Minute) // a notifier killed mid-send waits out its 2-minute lease
	for {
		var id, status string
		var n int
		err := s.env.pool.QueryRow(ctx, `SELECT coalesce(min(id::text), ''), coalesce(min(status), ''), count(*) FROM notifications WHERE job_id = $1`,
			s.jobID).Scan(&id, &status, &n)
		if err != nil {
			s.t.Fatal(err)
		}
		if n == 1 && status == "sent" && s.env.hooks.posts(id) > 0 {
			s.fig.notices++
			s.fig.noticePosts += s.env.hooks.posts(id)
			return
		}
		if time.Now().After(deadline) {
			s.t.Errorf("notice of job %s: %d notices, status %q, %d webhook posts; want 1 sent and received", s.jobID, n, status, s.env.hooks.posts(id))
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func deref(p *int) string {
	if p == nil {
		return "nil"
	}
	return fmt.Sprint(*p)
}
