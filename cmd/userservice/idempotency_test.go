package main

import (
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"
)

// TestIdempotencyKeyIsBoundToItsRequest reuses one Idempotency-Key on another
// user, on another route, and after a command that changed nothing: each is
// refused as idempotency_key_reused and changes nothing, while the very same
// request is still answered with its first outcome.
func TestIdempotencyKeyIsBoundToItsRequest(t *testing.T) {
	t.Parallel()
	s := startService(t, "api")
	tn := newTenant(t, 10)
	x := s.call("POST", "/v1/users", tn.admin, newUser("bind-x@example.com")).want(t, 201, "").str("id")
	y := s.call("POST", "/v1/users", tn.admin, newUser("bind-y@example.com")).want(t, 201, "").str("id")
	for _, id := range []string{x, y} {
		s.call("POST", "/v1/users/"+id+"/deactivate", tn.admin, map[string]any{"reason": "test"}).want(t, 200, "")
	}

	// Another target: the case, which answered 200 Idempotent-Replayed with X's data.
	s.call("POST", "/v1/users/"+x+"/reactivate", tn.admin, nil, "Idempotency-Key", "k-target").want(t, 200, "")
	s.call("POST", "/v1/users/"+y+"/reactivate", tn.admin, nil, "Idempotency-Key", "k-target").
		want(t, 422, "idempotency_key_reused")
	if st := s.call("GET", "/v1/users/"+y, tn.reader, nil).want(t, 200, "").str("status"); st != "deactivated" {
		t.Errorf("user Y is %s after a refused reactivation, want deactivated", st)
	}
	again := s.call("POST", "/v1/users/"+x+"/reactivate", tn.admin, nil, "Idempotency-Key", "k-target").want(t, 200, "")
	if again.header.Get("Idempotent-Replayed") != "true" || again.str("id") != x {
		t.Errorf("the same request again: %v %s", again.header, again.raw)
	}
	// Another route on the same target.
	s.call("POST", "/v1/users/"+x+"/deactivate", tn.admin, map[string]any{"reason": "test"}, "Idempotency-Key", "k-target").
		want(t, 422, "idempotency_key_reused")

	// A no-op takes its key too (issue 18).
	noop := s.call("PATCH", "/v1/users/"+x, tn.admin, map[string]any{"given_name": "Grace"},
		"Content-Type", "application/merge-patch+json", "Idempotency-Key", "k-noop").want(t, 200, "")
	if noop.header.Get("X-Changed") != "false" {
		t.Fatalf("no-op patch: X-Changed %q", noop.header.Get("X-Changed"))
	}
	s.call("PATCH", "/v1/users/"+x, tn.admin, map[string]any{"given_name": "Ada"},
		"Content-Type", "application/merge-patch+json", "Idempotency-Key", "k-noop").want(t, 422, "idempotency_key_reused")
	replay := s.call("PATCH", "/v1/users/"+x, tn.admin, map[string]any{"given_name": "Grace"},
		"Content-Type", "application/merge-patch+json", "Idempotency-Key", "k-noop").want(t, 200, "")
	if replay.header.Get("X-Changed") != "false" || replay.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("the no-op again: X-Changed %q, Idempotent-Replayed %q", replay.header.Get("X-Changed"),
			replay.header.Get("Idempotent-Replayed"))
	}
	if name := s.call("GET", "/v1/users/"+x, tn.reader, nil).want(t, 200, "").str("given_name"); name != "Grace" {
		t.Errorf("given_name %q after a refused patch, want Grace", name)
	}
}

// TestClientKeysCannotNameImportCommands imports a file, then sends creates
// whose Idempotency-Key is the importer's internal command id of those rows
// ("import:<job>:<row>"): they are new commands, not the import's.
func TestClientKeysCannotNameImportCommands(t *testing.T) {
	t.Parallel()
	s := startService(t, "api,importer")
	tn := newTenant(t, 10)
	u := uuid.NewString()[:8]
	csv := "external_id,email,given_name,family_name\n" + "N1-" + u + ",n1-" + u + "@example.com,Nora,One\n"
	job := s.call("POST", "/v1/imports", tn.importer, csv, "Content-Type", "text/csv").want(t, 202, "").str("id")
	deadline := time.Now().Add(30 * time.Second)
	for s.call("GET", "/v1/imports/"+job, tn.importer, nil).want(t, 200, "").str("status") != "completed" {
		if time.Now().After(deadline) {
			t.Fatal("import not completed in 30s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	for row := 1; row <= 2; row++ {
		key := "import:" + job + ":" + strconv.Itoa(row)
		s.call("POST", "/v1/users", tn.admin, newUser("ns"+strconv.Itoa(row)+"-"+u+"@example.com"), "Idempotency-Key", key).
			want(t, 201, "")
	}
}
