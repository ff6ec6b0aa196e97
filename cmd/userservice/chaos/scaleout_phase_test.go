//go:build chaos

package chaos

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// phase is one fault under load on the fleet: a fresh tenant, its workload
// through the balancer, its CSV import and list readers.
type phase struct {
	f     *fleet
	s     *scenario
	set   scaleSettings
	began time.Time
}

// result is what a phase measured beyond the invariants.
type result struct {
	fault             string
	takeover          time.Duration // the relay's: kill to every shard owned again
	brokerBack        time.Duration // the broker's: kill to the cluster whole again
	lists, listErrors int64
	staleMax          float64 // the apis' staleness bound, highest sampled, seconds
	freshShare        float64 // share of samples with lists on the replica
	lag               lagFigures
}

type lagFigures struct{ p50, max time.Duration }

func (r result) String() string {
	s := fmt.Sprintf("lists %d through the balancer (%d failed) | replica: staleness bound max %.3fs, lists on the replica %.0f%% of samples, commit-to-replica lag p50 %s max %s",
		r.lists, r.listErrors, r.staleMax, 100*r.freshShare, r.lag.p50, r.lag.max)
	if r.takeover > 0 {
		s += fmt.Sprintf(" | relay takeover %s", r.takeover.Round(time.Millisecond))
	}
	if r.brokerBack > 0 {
		s += fmt.Sprintf(" | broker back in the cluster after %s", r.brokerBack.Round(time.Second))
	}
	return s
}

func (f *fleet) newPhase(t *testing.T, set scaleSettings) *phase {
	t.Helper()
	var b [4]byte
	_, _ = rand.Read(b[:])
	s := &scenario{t: t, env: f.env, set: set.settings, tag: "s" + hex.EncodeToString(b[:]), topic: f.topic,
		brokers: f.brokers, apiBase: f.lb.url}
	s.newTenant()
	s.load = newWorkload(s.apiBase, s.admin, s.tag)
	return &phase{f: f, s: s, set: set, began: time.Now()}
}

// run drives the workload, the import and the list readers, injects the
// fault once a fifth of the import is in, and returns when everything is
// done and the fault healed.
func (ph *phase) run(fault scaleFault) result {
	s := ph.s
	r := result{fault: fault.name}
	s.startImport()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.load.run(s.set.workers, s.set.maxOps, stop)
	}()
	var lists, listErrors atomic.Int64
	for range ph.set.listers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ph.list(stop, &lists, &listErrors)
		}()
	}
	samples := make(chan [2]float64, 1024)
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(samples)
		ph.f.sampleStaleness(stop, samples)
	}()
	deadline := time.Now().Add(time.Minute)
	for j := s.job(); j.Processed < s.rows/5 && !j.finished() && time.Now().Before(deadline); j = s.job() {
		time.Sleep(100 * time.Millisecond)
	}
	s.t.Logf("%s: injecting %s", time.Now().UTC().Format("15:04:05.000"), fault.name)
	fault.inject(ph, &r)
	s.fig.faults++
	s.t.Logf("%s: %s healed", time.Now().UTC().Format("15:04:05.000"), fault.name)
	time.Sleep(2 * time.Second)
	s.waitImport()
	close(stop)
	var n, fresh int
	for smp := range samples {
		n++
		r.staleMax = max(r.staleMax, smp[0])
		if smp[1] == 1 {
			fresh++
		}
	}
	wg.Wait()
	if n > 0 {
		r.freshShare = float64(fresh) / float64(n)
	}
	r.lists, r.listErrors = lists.Load(), listErrors.Load()
	return r
}

// list pages through the tenant's users until stop: the reads the replica serves.
func (ph *phase) list(stop <-chan struct{}, ok, failed *atomic.Int64) {
	client := &http.Client{Timeout: 10 * time.Second}
	for {
		select {
		case <-stop:
			return
		case <-time.After(100 * time.Millisecond):
		}
		req, _ := http.NewRequest(http.MethodGet, ph.s.apiBase+"/v1/users?limit=100&department=d1", nil)
		req.Header.Set("Authorization", "Bearer "+ph.s.admin)
		resp, err := client.Do(req)
		if err != nil {
			failed.Add(1)
			continue
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			ok.Add(1)
		} else {
			failed.Add(1)
		}
	}
}

// sampleStaleness reads every api's staleness bound and freshness twice a
// second until stop.
func (f *fleet) sampleStaleness(stop <-chan struct{}, out chan<- [2]float64) {
	for {
		select {
		case <-stop:
			return
		case <-time.After(500 * time.Millisecond):
		}
		for _, base := range f.apis {
			m, err := scrape(base)
			if err != nil {
				continue // an api killed for the fault
			}
			st, ok1 := m["userservice_read_replica_staleness_seconds"]
			fr, ok2 := m["userservice_read_replica_fresh"]
			if ok1 && ok2 && st >= 0 {
				select {
				case out <- [2]float64{st, fr}:
				default:
				}
			}
		}
	}
}

// replicaLag measures how long a user committed through the API takes to
// appear on the replica, five times.
func (f *fleet) replicaLag(t *testing.T, ph *phase) lagFigures {
	t.Helper()
	replica := poolOn(t, f.readURL)
	var lags []time.Duration
	for i := range 5 {
		w := newWorkload(f.lb.url, ph.s.admin, ph.s.tag+"-lag")
		u := w.create(fmt.Sprintf("%s-lag-%d", ph.s.tag, i), fmt.Sprintf("%s-lag%d@chaos.test", ph.s.tag, i), false)
		if u == nil {
			t.Errorf("replica lag probe %d: the create was not acknowledged", i)
			continue
		}
		start := time.Now()
		for {
			var n int
			if err := replica.QueryRow(t.Context(), `SELECT count(*) FROM users WHERE id = $1`, u.id).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n == 1 {
				break
			}
			if time.Since(start) > 30*time.Second {
				t.Errorf("replica lag probe %d: not on the replica after 30s", i)
				break
			}
			time.Sleep(time.Millisecond)
		}
		lags = append(lags, time.Since(start))
		// Its command is the phase's too: the checks already ran, so
		// nothing else reads it.
	}
	if len(lags) == 0 {
		return lagFigures{}
	}
	sort.Slice(lags, func(i, j int) bool { return lags[i] < lags[j] })
	return lagFigures{p50: lags[len(lags)/2].Round(100 * time.Microsecond), max: lags[len(lags)-1].Round(100 * time.Microsecond)}
}
