//go:build chaos

package chaos

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// sent is one command the workload sent, and what became of it.
type sent struct {
	key      string // Idempotency-Key (command id "key:<key>")
	kind     string // create, title, department, deactivate, reactivate, erase
	userID   string // empty for a create that was never acknowledged
	attempts int
	oneShot  bool // sent once, never retried: may end unacknowledged
	// scim: an erasure sent as SCIM DELETE /Users/{id} (SCIM_DELETE=erase)
	// with the SCIM token and no Idempotency-Key: each attempt is a command
	// of its own ("scim:<uuid>"), so a retry after a lost answer finds the
	// user erased (204, or 404).
	scim    bool
	status  int  // the last HTTP status; 0 = transport error
	acked   bool // a 2xx answer
	changed bool // X-Changed: true
	version int  // ETag of the acknowledged answer
}

// rejected reports a definite refusal (4xx): the command is absent.
func (s *sent) rejected() bool {
	return s.status >= 400 && s.status < 500 && s.status != http.StatusTooManyRequests
}

// expected is what the acknowledged commands say a user looks like.
type expected struct {
	id, email, title, department, status string
	version                              int
	// uncertain: a command on it was never acknowledged, so its state is
	// either with or without that command; only the event checks apply.
	uncertain bool
	// erased: an acknowledged erasure; the user takes no more commands.
	erased bool
}

// workload runs API commands from many goroutines, with an Idempotency-Key
// per command and retries (same key) on transport errors and 5xx answers.
type workload struct {
	base, token, tag string
	client           *http.Client
	giveUp           time.Duration
	// eraseOneIn, when positive, makes one change in that many an erasure
	// (POST /v1/users/{id}/erase): the chaos scenarios mix them into the
	// load, the scale-out suite does not.
	eraseOneIn int
	// scimToken, when set, sends every other erasure over SCIM.
	scimToken string

	mu    sync.Mutex
	sent  []*sent
	users map[string]*expected
	// answered are the acknowledged attempts' times, for the latency the
	// hostile-tenant round reports.
	answered []latency
}

// latency is one acknowledged attempt: when it was answered and how long it took.
type latency struct {
	at   time.Time
	took time.Duration
}

func newWorkload(base, token, tag string) *workload {
	return &workload{base: base, token: token, tag: tag, users: map[string]*expected{},
		client: &http.Client{Timeout: 10 * time.Second}, giveUp: 3 * time.Minute}
}

// run starts workers that issue commands until stop is closed or each has
// sent maxOps; it returns when all are done.
func (w *workload) run(workers, maxOps int, stop <-chan struct{}) {
	var wg sync.WaitGroup
	for i := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.worker(i, maxOps, stop)
		}()
	}
	wg.Wait()
}

// worker creates a few users, then changes them at random. Worker 0 is an
// impatient client: it sends every command once and never retries, so
// during a fault its commands end unacknowledged (each must then be fully
// applied or absent); the others retry with the same key until answered,
// and one change in ten of theirs is sent once too.
func (w *workload) worker(id, maxOps int, stop <-chan struct{}) {
	rng := rand.New(rand.NewPCG(uint64(id), uint64(time.Now().UnixNano())))
	impatient := id == 0
	var mine []*expected
	certain := func() int {
		n := 0
		for _, u := range mine {
			if !u.uncertain {
				n++
			}
		}
		return n
	}
	for n := 0; n < maxOps; n++ {
		select {
		case <-stop:
			return
		default:
		}
		// Paced, so the import and the roles get their share of the CPU.
		time.Sleep(time.Duration(10+rng.IntN(30)) * time.Millisecond)
		key := fmt.Sprintf("%s-w%d-%d", w.tag, id, n)
		if certain() < 5 || rng.IntN(10) == 0 {
			if u := w.create(key, fmt.Sprintf("%s-w%d-%d@chaos.test", w.tag, id, n), impatient); u != nil {
				mine = append(mine, u)
			}
			continue
		}
		i := rng.IntN(len(mine))
		if u := mine[i]; !u.uncertain {
			if w.eraseOneIn > 0 && rng.IntN(w.eraseOneIn) == 0 {
				// Erased (or uncertain): it takes no more commands.
				w.erase(key, u, impatient, w.scimToken != "" && rng.IntN(2) == 0)
				mine = append(mine[:i], mine[i+1:]...)
				continue
			}
			w.change(key, u, rng, impatient || rng.IntN(10) == 0)
		}
	}
}

func (w *workload) create(key, email string, oneShot bool) *expected {
	s := &sent{key: key, kind: "create", oneShot: oneShot}
	// The family name is as unique as the e-mail address: both are the
	// needles the erasure checks look for (personalNeedles).
	body := map[string]any{"email": email, "given_name": "Chaos", "family_name": familyName(email), "department": "d0"}
	res := w.send(s, http.MethodPost, "/v1/users", "application/json", body)
	if !s.acked {
		return nil
	}
	u := &expected{id: res.str("id"), email: email, department: "d0", status: "active", version: s.version}
	s.userID = u.id
	w.mu.Lock()
	w.users[u.id] = u
	w.mu.Unlock()
	return u
}

// change updates, deactivates or reactivates u.
// A one-shot is sent once without retries, as a client that gives up would.
func (w *workload) change(key string, u *expected, rng *rand.Rand, oneShot bool) {
	s := &sent{key: key, userID: u.id, oneShot: oneShot}
	var (
		path, media = "/v1/users/" + u.id, "application/merge-patch+json"
		method      = http.MethodPatch
		body        any
		apply       func()
	)
	switch r := rng.IntN(10); {
	case r < 4:
		s.kind = "title"
		v := "t" + strconv.Itoa(rng.IntN(4)) // repeats make some commands no-ops
		body, apply = map[string]any{"title": v}, func() { u.title = v }
	case r < 8:
		s.kind = "department"
		v := "d" + strconv.Itoa(rng.IntN(4))
		body, apply = map[string]any{"department": v}, func() { u.department = v }
	case u.status == "active":
		s.kind, method, path, media = "deactivate", http.MethodPost, path+"/deactivate", "application/json"
		body, apply = map[string]any{"reason": "chaos"}, func() { u.status = "deactivated" }
	default:
		s.kind, method, path, media = "reactivate", http.MethodPost, path+"/reactivate", ""
		apply = func() { u.status = "active" }
	}
	w.send(s, method, path, media, body)
	w.settle(s, u, func() {
		apply()
		u.version = s.version
	})
}

// settle records, under the lock, what became of a command on u: a
// definite refusal applied nothing; one never answered leaves u uncertain;
// an acknowledged one is applied.
func (w *workload) settle(s *sent, u *expected, apply func()) {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case s.rejected():
	case !s.acked:
		u.uncertain = true
	default:
		apply()
	}
}

// erase erases u (POST /v1/users/{id}/erase, 204): acknowledged, the user
// is deleted and every personal field emptied.
func (w *workload) erase(key string, u *expected, oneShot, scim bool) {
	s := &sent{key: key, kind: "erase", userID: u.id, oneShot: oneShot, scim: scim}
	if scim {
		w.send(s, http.MethodDelete, "/scim/v2/Users/"+u.id, "", nil)
		if s.status == http.StatusNotFound && s.attempts > 1 {
			s.acked = true // an earlier attempt erased the user: gone since
		}
	} else {
		w.send(s, http.MethodPost, "/v1/users/"+u.id+"/erase", "application/json", map[string]any{"basis": "chaos"})
	}
	// The answer (204) carries no version: checkExpectations reads it from
	// the erasure's event.
	w.settle(s, u, func() { u.erased, u.status, u.title, u.department = true, "deleted", "", "" })
}

// familyName is the family name of the user with that e-mail address.
func familyName(email string) string { return strings.TrimSuffix(email, "@chaos.test") + "-family" }

// answer is a decoded response body.
type answer map[string]any

func (a answer) str(k string) string { s, _ := a[k].(string); return s }

// send delivers one command: retried with the same key on a transport
// error, a 5xx or a 429 until it is answered or giveUp passes (unless it is
// a one-shot); recorded.
func (w *workload) send(s *sent, method, path, media string, body any) answer {
	var raw []byte
	if body != nil {
		raw, _ = json.Marshal(body)
	}
	deadline := time.Now().Add(w.giveUp)
	backoff := 50 * time.Millisecond
	var res answer
	for {
		s.attempts++
		began := time.Now()
		resp, err := w.do(method, path, media, raw, s)
		if err == nil {
			s.status = resp.StatusCode
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			res = answer{}
			_ = json.Unmarshal(b, &res)
			if resp.StatusCode < 500 && resp.StatusCode != http.StatusTooManyRequests {
				s.acked = resp.StatusCode/100 == 2
				if s.acked {
					w.mu.Lock()
					w.answered = append(w.answered, latency{at: time.Now(), took: time.Since(began)})
					w.mu.Unlock()
				}
				s.changed = resp.Header.Get("X-Changed") == "true"
				s.version, _ = strconv.Atoi(strings.Trim(resp.Header.Get("ETag"), `"`))
				if !s.acked {
					res["_raw"] = string(b)
				}
				break
			}
		} else {
			s.status = 0
		}
		if s.oneShot || time.Now().After(deadline) {
			break
		}
		time.Sleep(backoff)
		backoff = min(2*backoff, time.Second)
	}
	w.mu.Lock()
	w.sent = append(w.sent, s)
	w.mu.Unlock()
	return res
}

func (w *workload) do(method, path, media string, body []byte, s *sent) (*http.Response, error) {
	ctx := context.Background()
	req, err := http.NewRequestWithContext(ctx, method, w.base+path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	if s.scim {
		req.Header.Set("Authorization", "Bearer "+w.scimToken)
	} else {
		req.Header.Set("Authorization", "Bearer "+w.token)
		req.Header.Set("Idempotency-Key", s.key)
	}
	if media != "" {
		req.Header.Set("Content-Type", media)
	}
	return w.client.Do(req)
}

// snapshot returns what was sent and the users, under the lock.
func (w *workload) snapshot() ([]*sent, map[string]*expected) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]*sent(nil), w.sent...), w.users
}
