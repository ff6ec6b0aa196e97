package main

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/userservice/userservice/adapters/eventcontract"
	"github.com/userservice/userservice/adapters/kafka/kafkatest"
)

func TestAPIUserLifecycle(t *testing.T) {
	t.Parallel()
	s := startService(t, "api")
	tn := newTenant(t, 10)

	created := s.call("POST", "/v1/users", tn.admin, map[string]any{"email": "Grace@Example.com", "given_name": "Grace",
		"family_name": "Hopper", "department": "Navy", "time_zone": "America/New_York"}).want(t, 201, "")
	id := created.str("id")
	if created.header.Get("Location") != "/v1/users/"+id || created.header.Get("ETag") != `"1"` ||
		created.str("email") != "grace@example.com" || created.num("version") != 1 || created.str("status") != "active" ||
		created.body["title"] != nil {
		t.Fatalf("created: %v %s", created.header, created.raw)
	}
	got := s.call("GET", "/v1/users/"+id, tn.reader, nil).want(t, 200, "")
	if got.str("department") != "Navy" || got.header.Get("ETag") != `"1"` {
		t.Fatalf("get: %s", got.raw)
	}

	// A patch that changes nothing writes nothing: same version, no event.
	same := s.call("PATCH", "/v1/users/"+id, tn.admin, map[string]any{"department": "Navy", "email": "GRACE@example.com"}).want(t, 200, "")
	if same.header.Get("X-Changed") != "false" || same.num("version") != 1 {
		t.Fatalf("no-op patch: %v %s", same.header, same.raw)
	}
	changed := s.call("PATCH", "/v1/users/"+id, tn.admin, map[string]any{"title": "Rear Admiral", "department": nil},
		"If-Match", `"1"`).want(t, 200, "")
	if changed.header.Get("X-Changed") != "true" || changed.num("version") != 2 || changed.body["department"] != nil {
		t.Fatalf("patch: %v %s", changed.header, changed.raw)
	}
	s.call("PATCH", "/v1/users/"+id, tn.admin, map[string]any{"title": "x"}, "If-Match", `"1"`).want(t, 412, "version_conflict")

	s.call("POST", "/v1/users/"+id+"/deactivate", tn.admin, map[string]any{"reason": "retired"}).want(t, 200, "")
	again := s.call("POST", "/v1/users/"+id+"/deactivate", tn.admin, nil).want(t, 200, "")
	if again.header.Get("X-Changed") != "false" || again.str("status") != "deactivated" {
		t.Fatalf("second deactivate: %v %s", again.header, again.raw)
	}
	s.call("POST", "/v1/users/"+id+"/reactivate", tn.admin, nil).want(t, 200, "")

	events := s.call("GET", "/v1/users/"+id+"/events", tn.reader, nil).want(t, 200, "")
	var types []string
	for _, e := range events.body["events"].([]any) {
		types = append(types, e.(map[string]any)["type"].(string))
	}
	if fmt.Sprint(types) != "[user.registered.v2 user.profile_changed.v2 user.deactivated.v2 user.reactivated.v1]" {
		t.Fatalf("events: %v", types)
	}
}

func TestAPIIdempotencyKey(t *testing.T) {
	t.Parallel()
	s := startService(t, "api")
	tn := newTenant(t, 10)
	first := s.call("POST", "/v1/users", tn.admin, newUser("idem@example.com"), "Idempotency-Key", "k-1").want(t, 201, "")
	again := s.call("POST", "/v1/users", tn.admin, newUser("idem@example.com"), "Idempotency-Key", "k-1").want(t, 201, "")
	if again.str("id") != first.str("id") || again.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay: %v %s (first %s)", again.header, again.raw, first.raw)
	}
	s.call("POST", "/v1/users", tn.admin, newUser("other@example.com"), "Idempotency-Key", "k-1").want(t, 422, "idempotency_key_reused")
	list := s.call("GET", "/v1/users", tn.reader, nil).want(t, 200, "")
	if n := len(list.body["users"].([]any)); n != 1 {
		t.Fatalf("%d users after a replayed create, want 1", n)
	}
}

func TestAPIErrorCodes(t *testing.T) {
	t.Parallel()
	s := startService(t, "api")
	tn := newTenant(t, 2)
	a := s.call("POST", "/v1/users", tn.admin, map[string]any{"email": "a@example.com", "given_name": "A", "family_name": "A", "external_id": "E1"}).want(t, 201, "").str("id")
	b := s.call("POST", "/v1/users", tn.admin, newUser("b@example.com")).want(t, 201, "").str("id")
	s.call("PATCH", "/v1/users/"+b, tn.admin, map[string]any{"manager_id": a}).want(t, 200, "")

	invalid := s.call("POST", "/v1/users", tn.admin, map[string]any{"email": "nope", "given_name": " A", "title": strings.Repeat("t", 101)}).want(t, 422, "validation_failed")
	fields := map[string]bool{}
	for _, e := range invalid.body["errors"].([]any) {
		fields[e.(map[string]any)["field"].(string)] = true
	}
	if !fields["email"] || !fields["given_name"] || !fields["title"] {
		t.Fatalf("validation errors name %v: %s", fields, invalid.raw)
	}
	s.call("POST", "/v1/users", tn.admin, newUser("A@example.com")).want(t, 409, "email_taken")
	s.call("PATCH", "/v1/users/"+b, tn.admin, map[string]any{"external_id": "E1"}).want(t, 409, "external_id_taken")
	s.call("POST", "/v1/users", tn.admin, newUser("c@example.com")).want(t, 409, "seats_exhausted")
	s.call("PATCH", "/v1/users/"+a, tn.admin, map[string]any{"manager_id": b}).want(t, 422, "manager_cycle")
	s.call("PATCH", "/v1/users/"+a, tn.admin, map[string]any{"manager_id": "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"}).want(t, 422, "manager_not_found")
	s.call("GET", "/v1/users/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", tn.reader, nil).want(t, 404, "not_found")
	s.call("GET", "/v1/users/not-a-uuid", tn.reader, nil).want(t, 404, "not_found")
	s.call("GET", "/v1/users", "", nil).want(t, 401, "unauthorized")
	s.call("GET", "/v1/users", "usr_bogus", nil).want(t, 401, "unauthorized")
	s.call("POST", "/v1/users", tn.reader, newUser("r@example.com")).want(t, 403, "forbidden")
	s.call("PATCH", "/v1/users/"+a, tn.importer, map[string]any{"title": "x"}).want(t, 403, "forbidden")
	s.call("POST", "/v1/users", tn.admin, `{"email":"x@example.com","given_name":"X","family_name":"Y","role":"god"}`).want(t, 400, "malformed_request")
	s.call("POST", "/v1/users", tn.admin, `{"email":`).want(t, 400, "malformed_request")
	s.call("POST", "/v1/users", tn.admin, `{"email":"`+strings.Repeat("x", 2<<20)+`"}`).want(t, 413, "body_too_large")
	resp := s.call("POST", "/v1/users", tn.admin, nil)
	if resp.status != 415 && resp.status != 400 {
		t.Fatalf("no body, no content type: %d %s", resp.status, resp.raw)
	}
	s.call("GET", "/v1/users?limit=100000", tn.reader, nil).want(t, 400, "invalid_query")
	s.call("GET", "/v1/users?limit=0", tn.reader, nil).want(t, 400, "invalid_query") // the contract says minimum 1
	s.call("GET", "/v1/users?limit=", tn.reader, nil).want(t, 400, "invalid_query")  // present but empty is not a number
	s.call("GET", "/v1/groups?offset=107346036738753888256", tn.reader, nil).want(t, 400, "invalid_query")
	s.call("GET", "/v1/groups?offset=2147483647", tn.reader, nil).want(t, 200, "") // the documented maximum
	s.call("GET", "/v1/users?cursor=garbage", tn.reader, nil).want(t, 400, "invalid_query")
	s.call("PUT", "/v1/users/"+a, tn.admin, nil).want(t, 405, "method_not_allowed")
	s.call("GET", "/v2/nothing", tn.admin, nil).want(t, 404, "not_found")
	if r := s.call("GET", "/openapi.yaml", "", nil); r.status != 200 || !strings.Contains(r.raw, "openapi: 3") {
		t.Fatalf("openapi.yaml: %d", r.status)
	}
}

func TestAPITenantIsolation(t *testing.T) {
	t.Parallel()
	s := startService(t, "api")
	mine, theirs := newTenant(t, 10), newTenant(t, 10)
	victim := s.call("POST", "/v1/users", theirs.admin, newUser("victim@example.com")).want(t, 201, "")
	id := victim.str("id")
	for _, r := range []struct{ method, path string }{
		{"GET", "/v1/users/" + id}, {"GET", "/v1/users/" + id + "/events"},
		{"PATCH", "/v1/users/" + id}, {"POST", "/v1/users/" + id + "/deactivate"}, {"POST", "/v1/users/" + id + "/reactivate"},
		{"DELETE", "/v1/users/" + id},
	} {
		var body any
		if r.method == "PATCH" {
			body = map[string]any{"title": "pwned"}
		}
		resp := s.call(r.method, r.path, mine.admin, body).want(t, 404, "not_found")
		if strings.Contains(resp.raw, "victim") {
			t.Fatalf("%s %s leaked: %s", r.method, r.path, resp.raw)
		}
	}
	// Manager references cannot cross tenants either.
	s.call("POST", "/v1/users", mine.admin, map[string]any{"email": "m@example.com", "given_name": "M", "family_name": "M",
		"manager_id": id}).want(t, 422, "manager_not_found")
	list := s.call("GET", "/v1/users?email=victim@example.com", mine.admin, nil).want(t, 200, "")
	if n := len(list.body["users"].([]any)); n != 0 {
		t.Fatalf("listed %d users of another tenant", n)
	}
	after := s.call("GET", "/v1/users/"+id, theirs.reader, nil).want(t, 200, "")
	if after.num("version") != 1 {
		t.Fatalf("victim changed: %s", after.raw)
	}
}

func TestAPIListPagination(t *testing.T) {
	t.Parallel()
	s := startService(t, "api")
	tn := newTenant(t, 100)
	var wg sync.WaitGroup
	for i := range 12 {
		wg.Go(func() {
			dept := []string{"Sales", "R&D"}[i%2]
			s.call("POST", "/v1/users", tn.admin, map[string]any{"email": fmt.Sprintf("p%d@example.com", i), "given_name": "P",
				"family_name": "Q", "department": dept}).want(t, 201, "")
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	path := "/v1/users?limit=5&department=R%26D"
	for pages := 0; path != ""; pages++ {
		page := s.call("GET", path, tn.reader, nil).want(t, 200, "")
		for _, u := range page.body["users"].([]any) {
			seen[u.(map[string]any)["id"].(string)] = true
		}
		path = ""
		if next := page.str("next_cursor"); next != "" {
			path = "/v1/users?limit=5&department=R%26D&cursor=" + next
		}
		if pages > 5 {
			t.Fatal("pagination does not end")
		}
	}
	if len(seen) != 6 {
		t.Fatalf("paged %d R&D users, want 6", len(seen))
	}
}

func TestAPICommandsReachKafkaThroughTheRelay(t *testing.T) {
	t.Parallel()
	s := startService(t, "api,relay")
	tn := newTenant(t, 10)
	id := s.call("POST", "/v1/users", tn.admin, newUser("kafka@example.com"), "X-Correlation-ID", "corr-42").want(t, 201, "").str("id")
	s.call("PATCH", "/v1/users/"+id, tn.admin, map[string]any{"title": "Engineer"}).want(t, 200, "")
	s.call("PATCH", "/v1/users/"+id, tn.admin, map[string]any{"title": "Engineer"}).want(t, 200, "") // no-op: no event
	s.call("POST", "/v1/users/"+id+"/deactivate", tn.admin, nil).want(t, 200, "")

	var envs []eventcontract.Envelope
	kafkatest.Read(t, s.brokers, s.topic, 30*time.Second, func(msgs []*sarama.ConsumerMessage) bool {
		envs = envs[:0]
		for _, m := range msgs {
			var e eventcontract.Envelope
			if json.Unmarshal(m.Value, &e) == nil && e.TenantID == tn.id {
				if string(m.Key) != id {
					t.Errorf("record key %q, want the user id %s", m.Key, id)
				}
				envs = append(envs, e)
			}
		}
		return len(envs) >= 3
	})
	time.Sleep(500 * time.Millisecond) // would a no-op's event (or a duplicate) still arrive?
	var got []string
	for _, e := range envs {
		got = append(got, fmt.Sprintf("%s@%d", e.Type, e.StreamVersion))
	}
	if fmt.Sprint(got) != "[user.registered.v2@1 user.profile_changed.v2@2 user.deactivated.v2@3]" {
		t.Fatalf("events on Kafka: %v", got)
	}
	if envs[0].CorrelationID != "corr-42" || envs[0].Subject != id || envs[0].SpecVersion != "1.0" {
		t.Fatalf("envelope: %+v", envs[0])
	}
}

func TestAPIRateLimitPerToken(t *testing.T) {
	t.Parallel()
	// One request every 10 s beyond the burst: the four calls never take
	// long enough for the bucket to refill, however loaded the machine.
	s := startService(t, "api", "API_RATE_LIMIT", "0.1", "API_RATE_BURST", "3")
	tn := newTenant(t, 10)
	for range 3 {
		s.call("GET", "/v1/users", tn.reader, nil).want(t, 200, "")
	}
	limited := s.call("GET", "/v1/users", tn.reader, nil).want(t, 429, "rate_limited")
	if ra, err := strconv.Atoi(limited.header.Get("Retry-After")); err != nil || ra < 1 || ra > 10 {
		t.Fatalf("Retry-After = %q, want whole seconds up to the refill's 10", limited.header.Get("Retry-After"))
	}
	// Another token of the same tenant has its own bucket.
	s.call("GET", "/v1/users", tn.admin, nil).want(t, 200, "")
}

// TestAPIDeleteUser: a deleted user is gone for every read and command, frees
// their seat and e-mail, and keeps their history.
func TestAPIDeleteUser(t *testing.T) {
	t.Parallel()
	s := startService(t, "api")
	tn := newTenant(t, 1)
	id := s.call("POST", "/v1/users", tn.admin, map[string]any{"email": "gone@example.com", "given_name": "G",
		"family_name": "One", "external_id": "X-1"}).want(t, 201, "").str("id")
	s.call("POST", "/v1/users", tn.admin, newUser("second@example.com")).want(t, 409, "seats_exhausted")
	s.call("DELETE", "/v1/users/"+id, tn.reader, nil).want(t, 403, "forbidden")
	s.call("DELETE", "/v1/users/"+id, tn.admin, nil, "If-Match", `"7"`).want(t, 412, "version_conflict")
	if r := s.call("DELETE", "/v1/users/"+id, tn.admin, nil); r.status != 204 || r.raw != "" {
		t.Fatalf("delete: %d %s", r.status, r.raw)
	}
	s.call("GET", "/v1/users/"+id, tn.reader, nil).want(t, 404, "not_found")
	s.call("DELETE", "/v1/users/"+id, tn.admin, nil).want(t, 404, "not_found")
	s.call("PATCH", "/v1/users/"+id, tn.admin, map[string]any{"title": "x"}).want(t, 404, "not_found")
	s.call("POST", "/v1/users/"+id+"/reactivate", tn.admin, nil).want(t, 404, "not_found")
	if list := s.call("GET", "/v1/users", tn.reader, nil).want(t, 200, ""); len(list.body["users"].([]any)) != 0 {
		t.Fatalf("a deleted user is listed: %s", list.raw)
	}
	// The seat, the e-mail and the external id are free again.
	again := s.call("POST", "/v1/users", tn.admin, map[string]any{"email": "gone@example.com", "given_name": "G",
		"family_name": "Two", "external_id": "X-1"}).want(t, 201, "")
	if again.str("id") == id {
		t.Fatal("the new user got the deleted user's id")
	}
	events := s.call("GET", "/v1/users/"+id+"/events", tn.reader, nil).want(t, 200, "")
	var types []string
	for _, e := range events.body["events"].([]any) {
		types = append(types, e.(map[string]any)["type"].(string))
	}
	if fmt.Sprint(types) != "[user.registered.v2 user.deleted.v1]" {
		t.Fatalf("history of the deleted user: %v", types)
	}
}
