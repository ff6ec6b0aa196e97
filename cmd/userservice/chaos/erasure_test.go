//go:build chaos

package chaos

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/IBM/sarama"
	"github.com/jackc/pgx/v5"

	"github.com/userservice/userservice/adapters/personaldata"
	"github.com/userservice/userservice/domain/user"
)

// The chaos processes seal personal data (README "Personal data") with one
// fixed master key: every run and scenario shares the private database, and
// an importer may meet an interrupted earlier run's queued rows, whose users'
// data keys must still unwrap. It is a test key for a throw-away cluster.
const chaosMasterKeyID = "chaos"

func chaosMasterKey() []byte {
	k := sha256.Sum256([]byte("userservice chaos suite master key"))
	return k[:]
}

// chaosMasterKeys is MASTER_KEYS for the scenario's processes.
func chaosMasterKeys() string {
	return chaosMasterKeyID + "=" + base64.StdEncoding.EncodeToString(chaosMasterKey())
}

// chaosKeys opens what the processes sealed, for the replay check.
func chaosKeys(t *testing.T) *personaldata.Keys {
	t.Helper()
	ring, err := personaldata.NewKeyring(chaosMasterKeyID, map[string][]byte{chaosMasterKeyID: chaosMasterKey()})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := personaldata.NewKeys(ring)
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// erasures are the tenant's erased users, by stream id, with the version of
// their user.erased event.
func erasures(events []stored) map[string]int {
	out := map[string]int{}
	for _, e := range events {
		if e.typ == user.TypeErased {
			out[e.stream] = e.version
		}
	}
	return out
}

// personalNeedles are the personal values the workload gave the erased
// users (each unique to its user): none may be left in plaintext.
func (s *scenario) personalNeedles() []string {
	if len(s.erasedAt) == 0 {
		return nil // also: a scale-out scenario, which erases nobody
	}
	_, users := s.load.snapshot()
	var out []string
	for id := range s.erasedAt {
		if u, ok := users[id]; ok {
			out = append(out, u.email, familyName(u.email))
		}
	}
	sort.Strings(out)
	return out
}

// checkErasures: every erased user is erased everywhere and nobody else
// lost anything. An erasure is its stream's last event; the user's data key
// is gone; the read model keeps a deleted row with nothing personal (the
// directory's is compared with it by checkDirectory); no table holds any of
// the erased users' personal values in plaintext; every other user of the
// tenant still has a data key (the replay check, which decrypts, shows their
// data intact). Kafka's side is checkKafka's (kafkaErasures).
func (s *scenario) checkErasures() {
	if len(s.erasedAt) == 0 {
		// Nothing erased, nothing to check: also the scale-out scenarios,
		// whose processes run without MASTER_KEYS (no user has a data key).
		return
	}
	ctx := context.Background()
	s.fig.erasures += len(s.erasedAt)
	ids := make([]string, 0, len(s.erasedAt))
	for id := range s.erasedAt {
		ids = append(ids, id)
	}
	var notLast, keysLeft, rowsLeft, keyless int
	err := s.env.pool.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM events e WHERE e.tenant_id = $1 AND e.stream_id = ANY($2::uuid[])
			AND e.version > (SELECT x.version FROM events x WHERE x.stream_id = e.stream_id AND x.type = $3)),
		(SELECT count(*) FROM user_data_keys WHERE user_id = ANY($2::uuid[])),
		(SELECT count(*) FROM users WHERE tenant_id = $1 AND id = ANY($2::uuid[])
			AND (status <> 'deleted' OR email <> '' OR given_name <> '' OR family_name <> '' OR department <> '' OR title <> '')),
		(SELECT count(*) FROM users u WHERE u.tenant_id = $1 AND u.id <> ALL($2::uuid[])
			AND NOT EXISTS (SELECT 1 FROM user_data_keys k WHERE k.user_id = u.id))`,
		s.tenant, ids, user.TypeErased).Scan(&notLast, &keysLeft, &rowsLeft, &keyless)
	if err != nil {
		s.t.Fatal(err)
	}
	if notLast > 0 {
		s.t.Errorf("%d events follow an erasure in its stream", notLast)
	}
	if keysLeft > 0 {
		s.t.Errorf("%d of %d erased users still have a data key", keysLeft, len(ids))
	}
	if rowsLeft > 0 {
		s.t.Errorf("%d erased users' read-model rows are not deleted and emptied", rowsLeft)
	}
	if keyless > 0 {
		s.t.Errorf("%d users that were not erased have no data key: their personal data is lost", keyless)
	}
	if hits := s.tablesWith(ctx, s.personalNeedles()); len(hits) > 0 {
		s.t.Errorf("erased users' personal values left in plaintext: %v", hits)
	}
	// The search itself is checked: it finds a user that was not erased in
	// the read model (where the e-mail address is kept in clear).
	if email := s.keptEmail(); email != "" && s.tablesWith(ctx, []string{email})["users"] == 0 {
		s.t.Errorf("the plaintext search does not find %s, a user that was not erased, in users", email)
	}
}

// keptEmail is the e-mail address of an acknowledged user that was not
// erased ("" if none).
func (s *scenario) keptEmail() string {
	_, users := s.load.snapshot()
	for id, u := range users {
		if _, erased := s.erasedAt[id]; !erased && !u.uncertain {
			return u.email
		}
	}
	return ""
}

// checkSCIMErasure: a SCIM DELETE (SCIM_DELETE=erase) that was
// acknowledged (204, or 404 on a retry: an earlier attempt had erased)
// left the user erased; a refused one erased nothing; one never answered
// either erased or not, never half (checkErasures holds for every erased
// user). Its commands are "scim:<uuid>", one per attempt: checkCommands
// accepts those whose one event is the user's erasure.
func (s *scenario) checkSCIMErasure(c *sent) {
	s.fig.sent++
	s.fig.attempts += c.attempts
	s.fig.scimErasures++
	_, erased := s.erasedAt[c.userID]
	switch {
	case c.acked:
		s.fig.acked++
		if !erased {
			s.t.Errorf("acknowledged SCIM DELETE %s (status %d): user %s is not erased", c.key, c.status, c.userID)
		}
	case c.rejected():
		s.fig.rejected++
		if erased {
			s.t.Errorf("refused SCIM DELETE %s (status %d) erased user %s", c.key, c.status, c.userID)
		}
	default:
		s.fig.unacked++
		if erased {
			s.fig.unackedApplied++
		}
	}
}

// tablesWith counts, per table of the database, the rows whose text holds
// one of needles (all of which contain the scenario's tag, a cheap filter
// first).
func (s *scenario) tablesWith(ctx context.Context, needles []string) map[string]int {
	if len(needles) == 0 {
		return nil
	}
	patterns := make([]string, len(needles))
	for i, n := range needles {
		patterns[i] = "%" + n + "%"
	}
	rows, err := s.env.pool.Query(ctx, `SELECT quote_ident(table_name) FROM information_schema.tables
		WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`)
	if err != nil {
		s.t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		s.t.Fatal(err)
	}
	hits := map[string]int{}
	for _, table := range tables {
		var n int
		err := s.env.pool.QueryRow(ctx, `SELECT count(*) FROM (SELECT x::text AS v FROM `+table+` x) r
			WHERE strpos(r.v, $1) > 0 AND r.v LIKE ANY($2)`, s.tag, patterns).Scan(&n)
		if err != nil {
			s.t.Fatalf("search %s: %v", table, err)
		}
		if n > 0 {
			hits[table] = n
		}
	}
	return hits
}

// kafkaErasures follows, record by record, what the topic says of the
// scenario's erased users: each one's last record (records of a key keep
// their order, in one partition) must be its tombstone, so a compacted
// topic forgets them, and no record of the tenant shows an erased user's
// personal value.
type kafkaErasures struct {
	s       *scenario
	needles [][]byte
	// lastTombstone: the key's last record so far is a tombstone.
	lastTombstone map[string]bool
	tombstones    int
	leaks         []string
}

func (s *scenario) newKafkaErasures() *kafkaErasures {
	k := &kafkaErasures{s: s, lastTombstone: map[string]bool{}}
	for _, n := range s.personalNeedles() {
		k.needles = append(k.needles, []byte(n))
	}
	return k
}

// record notes one record of the tenant (an event) or a tombstone.
func (k *kafkaErasures) record(msg *sarama.ConsumerMessage, tombstone bool) {
	key := string(msg.Key)
	if _, erased := k.s.erasedAt[key]; !erased {
		return
	}
	if tombstone {
		k.tombstones++
	}
	k.lastTombstone[key] = tombstone
	for _, n := range k.needles {
		if bytes.Contains(msg.Value, n) {
			k.leaks = append(k.leaks, fmt.Sprintf("%d/%d", msg.Partition, msg.Offset))
		}
	}
}

// missing counts the erased users whose key does not end in a tombstone.
func (k *kafkaErasures) missing() int {
	n := 0
	for id := range k.s.erasedAt {
		if !k.lastTombstone[id] {
			n++
		}
	}
	return n
}

func (k *kafkaErasures) report() {
	k.s.fig.tombstones += k.tombstones
	if n := k.missing(); n > 0 {
		k.s.t.Errorf("%d of %d erased users' keys do not end in a tombstone on the topic", n, len(k.s.erasedAt))
	}
	if len(k.leaks) > 0 {
		k.s.t.Errorf("Kafka records (partition/offset) show an erased user's personal value: %s", strings.Join(k.leaks, ", "))
	}
}
