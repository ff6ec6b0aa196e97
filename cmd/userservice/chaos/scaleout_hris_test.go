//go:build chaos

package chaos

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// hrisServer is the HRIS the fleet's two hris-sync processes read: n
// employees whose title is the minute of the request, so that every tick's
// sync changes each of them. It counts full listings (first pages) per
// minute: one schedule tick must be synced once, not once per process.
type hrisServer struct {
	srv *httptest.Server
	n   int
	s   *scenario // the HRIS tenant, as a scenario without a workload

	mu       sync.Mutex
	listings map[string]int // minute -> first pages served
}

func newHRISServer(t *testing.T, employees int) *hrisServer {
	t.Helper()
	h := &hrisServer{n: employees, listings: map[string]int{}}
	h.srv = httptest.NewServer(http.HandlerFunc(h.serve))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hrisServer) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodHead { // the hris-sync role's readiness probe
		return
	}
	if r.Header.Get("Authorization") != "Bearer scale-hris-token" {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	minute := time.Now().UTC().Format("15:04")
	from, _ := strconv.Atoi(r.URL.Query().Get("cursor"))
	size, _ := strconv.Atoi(r.URL.Query().Get("page_size"))
	size = max(1, min(size, 25))
	if from == 0 {
		h.mu.Lock()
		h.listings[minute]++
		h.mu.Unlock()
	}
	type employee struct {
		EmployeeID string `json:"employee_id"`
		Email      string `json:"email"`
		GivenName  string `json:"given_name"`
		FamilyName string `json:"family_name"`
		Title      string `json:"title"`
	}
	var page struct {
		Employees  []employee `json:"employees"`
		NextCursor string     `json:"next_cursor,omitempty"`
	}
	for i := from; i < min(from+size, h.n); i++ {
		page.Employees = append(page.Employees, employee{EmployeeID: fmt.Sprintf("%s-H%d", h.s.tag, i),
			Email: fmt.Sprintf("%s-h%d@hris.test", h.s.tag, i), GivenName: "Hris", FamilyName: "Row" + strconv.Itoa(i),
			Title: "tick-" + minute})
	}
	if from+size < h.n {
		page.NextCursor = strconv.Itoa(from + size)
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(page)
}

// tenant creates the HRIS tenant (once) and returns its id.
func (h *hrisServer) tenant(t *testing.T, pool *pgxpool.Pool) string {
	t.Helper()
	if h.s == nil {
		var b [4]byte
		_, _ = rand.Read(b[:])
		h.s = &scenario{t: t, env: &environment{pool: pool, hooks: newWebhooks(t)}, tag: "h" + hex.EncodeToString(b[:])}
		h.s.newTenant()
	}
	return h.s.tenant
}

// checkHRIS: at least one tick was synced since the fleet started (waiting
// for one if need be), each tick by one job and one listing, each job
// finished with every employee counted and none rejected; then the chaos
// checks that need no workload on the HRIS tenant: gap-free streams, seats,
// the read model equal to a replay, every event once in Kafka and in the
// directory.
func (f *fleet) checkHRIS(t *testing.T) {
	t.Helper()
	h := f.hris
	s := *h.s
	s.t, s.env, s.topic, s.brokers, s.apiBase = t, f.env, f.topic, f.brokers, f.lb.url
	s.fig = figures{}
	var jobs []string
	deadline := time.Now().Add(3 * time.Minute)
	for {
		jobs = jobs[:0]
		rows, err := f.env.pool.Query(t.Context(), `SELECT id::text, dedup_key, status FROM import_jobs
			WHERE tenant_id = $1 AND source = 'hris' ORDER BY created_at`, s.tenant)
		if err != nil {
			t.Fatal(err)
		}
		finished, all := 0, 0
		for rows.Next() {
			var id, key, status string
			if err := rows.Scan(&id, &key, &status); err != nil {
				t.Fatal(err)
			}
			all++
			jobs = append(jobs, id)
			if status == "completed" || status == "completed_with_errors" || status == "failed" {
				finished++
			}
		}
		rows.Close()
		if all > 0 && finished == all {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("HRIS: %d jobs, %d finished after waiting 3 minutes for a synced tick", all, finished)
		}
		time.Sleep(time.Second)
	}
	for _, id := range jobs {
		var j job
		getJSON(t, s.apiBase, s.importer, "/v1/imports/"+id, &j)
		sum := j.Created + j.Updated + j.Unchanged
		if j.Status != "completed" || j.Total == nil || *j.Total != h.n || sum != h.n || j.Rejected+j.Parked+j.Skipped != 0 {
			t.Errorf("HRIS job %+v (total %s): want completed with %d employees counted", j, deref(j.Total), h.n)
		}
	}
	h.mu.Lock()
	for minute, n := range h.listings {
		if n != 1 {
			t.Errorf("HRIS listed %d times in minute %s: one tick must be synced once, not once per hris-sync process", n, minute)
		}
	}
	ticks := len(h.listings)
	h.mu.Unlock()
	if len(jobs) != ticks {
		t.Errorf("HRIS: %d jobs for %d listed ticks", len(jobs), ticks)
	}
	events := s.events()
	s.checkStreams()
	s.checkSeats()
	s.checkReplay()
	s.checkKafka(events)
	s.checkDirectory(len(events))
	t.Logf("HRIS: %d ticks synced by %d hris-sync processes, one job and one listing each; %d events of the HRIS tenant in Kafka (%d distinct) and the directory",
		ticks, len(f.procs["hris-sync"]), len(events), s.fig.kafkaIDs)
}
