package main

import (
	"bufio"
	"context"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/userservice/userservice/adapters/postgres/pgtest"
	"github.com/userservice/userservice/adapters/scripttest"
)

// replicaPort is scripts/postgres-replica-up.sh's streaming replica of the
// shared cluster.
const replicaPort = "5434"

// startReplica starts (or finds streaming) the read replica and returns the
// URL of the tests' database on it. Without it the test FAILS under CI=true.
func startReplica(t *testing.T) string {
	t.Helper()
	pgtest.Pool(t) // the tests' database exists (and is migrated) on the primary, so on the replica
	if err := scripttest.Run("postgres-replica-up.sh"); err != nil {
		pgtest.Unavailable(t, "the PostgreSQL read replica (scripts/postgres-replica-up.sh)", err)
	}
	u, err := url.Parse(pgtest.URL())
	if err != nil {
		t.Fatal(err)
	}
	u.Host = u.Hostname() + ":" + replicaPort
	return u.String()
}

// TestListReadsGoToTheReplicaWithinTheStalenessBound runs the api with
// DATABASE_READ_URL on the real streaming replica and pauses the replica's
// replay: a user just created is read back by id (the primary) but absent
// from the admin list and the SCIM filter (the replica) while the replica's
// staleness is within DATABASE_READ_MAX_LAG; past the bound the lists fall
// back to the primary and show it; resumed, the replica catches up and
// serves the lists again. It logs the replica's lag behind a commit.
func TestListReadsGoToTheReplicaWithinTheStalenessBound(t *testing.T) {
	readURL := startReplica(t)
	const maxLag = 6 * time.Second
	s := startService(t, "api", "DATABASE_READ_URL", readURL, "DATABASE_READ_MAX_LAG", maxLag.String())
	tn := newSCIMTenant(t, 100)
	replica, err := pgxpool.New(context.Background(), readURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(replica.Close)
	ctx := context.Background()
	resume := func() {
		if _, err := replica.Exec(ctx, `SELECT pg_wal_replay_resume()`); err != nil {
			t.Errorf("resume the replica's replay: %v", err)
		}
	}
	waitMetric(t, s.base, "userservice_read_replica_fresh", 1, 30*time.Second)

	// The lag of one commit: created on the primary, then polled for on the replica.
	lagged := s.call("POST", "/v1/users", tn.admin, newUser("lag-"+tn.id+"@example.com")).want(t, 201, "")
	start := time.Now()
	for {
		var n int
		if err := replica.QueryRow(ctx, `SELECT count(*) FROM users WHERE id = $1`, lagged.str("id")).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 1 {
			break
		}
		if time.Since(start) > maxLag {
			t.Fatalf("the replica did not show a committed user within %s", maxLag)
		}
		time.Sleep(time.Millisecond)
	}
	t.Logf("replica lag of one commit (API answer to visible on the replica): %s", time.Since(start).Round(100*time.Microsecond))

	if _, err := replica.Exec(ctx, `SELECT pg_wal_replay_pause()`); err != nil {
		t.Fatalf("pause the replica's replay (granted by the script): %v", err)
	}
	t.Cleanup(resume)
	email := "replica-" + tn.id + "@example.com"
	created := s.call("POST", "/v1/users", tn.admin, newUser(email)).want(t, 201, "")
	id := created.str("id")
	paused := time.Now()
	s.call("GET", "/v1/users/"+id, tn.admin, nil).want(t, 200, "") // single-user read: the primary
	listed := func() (admin, scim bool) {
		l := s.call("GET", "/v1/users?email="+url.QueryEscape(email), tn.admin, nil).want(t, 200, "")
		f := s.scimCall("GET", "/Users?filter="+url.QueryEscape(`userName eq "`+email+`"`), tn.scim, nil).want(t, 200, "")
		return len(l.body["users"].([]any)) == 1, len(f.userNames()) == 1
	}
	admin, scim := listed()
	if elapsed := time.Since(paused); elapsed >= maxLag {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the lists took %s, past the %s bound: the replica could not be told from the primary", elapsed, maxLag)
		}
		t.Skipf("the lists took %s, past the %s bound: the machine is too slow to tell the replica from the primary", elapsed, maxLag)
	}
	if admin || scim {
		t.Fatalf("a user created during the replica's pause is listed (admin %v, SCIM %v): the lists do not read the replica", admin, scim)
	}
	// Past the bound the lists go to the primary.
	waitMetric(t, s.base, "userservice_read_replica_fresh", 0, 3*maxLag)
	if admin, scim := listed(); !admin || !scim {
		t.Fatalf("with the replica past the staleness bound the lists still miss the user (admin %v, SCIM %v)", admin, scim)
	}
	t.Logf("lists left the paused replica %s after the pause's first write (bound %s)", time.Since(paused).Round(time.Millisecond), maxLag)
	resume()
	waitMetric(t, s.base, "userservice_read_replica_fresh", 1, 30*time.Second)
	if admin, scim := listed(); !admin || !scim {
		t.Fatalf("the caught-up replica misses the user (admin %v, SCIM %v)", admin, scim)
	}
}

// waitMetric waits until the gauge name on base's /metrics equals want.
func waitMetric(t *testing.T, base, name string, want float64, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	last := "absent"
	for time.Now().Before(deadline) {
		if v, ok := metric(t, base, name); ok {
			if v == want {
				return
			}
			last = strconv.FormatFloat(v, 'g', -1, 64)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s stayed %s for %s, want %g", name, last, timeout, want)
}

// metric reads an unlabelled metric from base's /metrics.
func metric(t *testing.T, base, name string) (float64, bool) {
	t.Helper()
	resp, err := noKeepAlive.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			return v, err == nil
		}
	}
	return 0, false
}
