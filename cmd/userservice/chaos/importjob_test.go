//go:build chaos

package chaos

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// badEvery makes every badEvery-th import row invalid (no e-mail), so the
// job ends with rejections and its notice goes out.
const badEvery = 50

// importFile is a CSV of rows users, tagged so they are the run's own.
func importFile(tag string, rows int) (csv string, bad int) {
	var b strings.Builder
	b.WriteString("external_id,email,given_name,family_name,department\n")
	for i := 1; i <= rows; i++ {
		email := fmt.Sprintf("%s-imp%d@chaos.test", tag, i)
		if i%badEvery == 0 {
			email, bad = "", bad+1
		}
		fmt.Fprintf(&b, "%s-E%d,%s,Imported,Row%d,imports\n", tag, i, email, i)
	}
	return b.String(), bad
}

// job is the part of an import job the checks read.
type job struct {
	ID        string `json:"id"`
	Status    string `json:"status"`
	Total     *int   `json:"total"`
	Processed int    `json:"processed"`
	Created   int    `json:"created"`
	Updated   int    `json:"updated"`
	Unchanged int    `json:"unchanged"`
	Skipped   int    `json:"skipped"`
	Rejected  int    `json:"rejected"`
	Parked    int    `json:"parked"`
}

func (j job) finished() bool {
	return j.Status == "completed" || j.Status == "completed_with_errors" || j.Status == "failed"
}

// getJSON GETs path with the token into v, retrying transport errors and
// 5xx answers for up to a minute (the API may be down for a fault).
func getJSON(t *testing.T, base, token, path string, v any) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	client := &http.Client{Timeout: 10 * time.Second}
	for {
		req, _ := http.NewRequest(http.MethodGet, base+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				if err := json.Unmarshal(body, v); err != nil {
					t.Fatalf("GET %s: %v", path, err)
				}
				return
			}
			if resp.StatusCode < 500 {
				t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
			}
			err = fmt.Errorf("%d %s", resp.StatusCode, body)
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: %v", path, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// webhooks receives the notifier's webhook posts and counts them by
// delivery id (the notice id, the same on every attempt).
type webhooks struct {
	srv   *httptest.Server
	mu    sync.Mutex
	got   map[string]int   // delivery id -> posts
	holds map[string]*hold // hook tag -> the next post to hold
}

// hold keeps one webhook post unanswered: arrived is closed when it came
// in, and it is answered when release is closed.
type hold struct{ arrived, release chan struct{} }

// holdNext makes the next post to the tag's hook wait for release.
func (h *webhooks) holdNext(tag string) *hold {
	h.mu.Lock()
	defer h.mu.Unlock()
	hd := &hold{arrived: make(chan struct{}), release: make(chan struct{})}
	h.holds[tag] = hd
	return hd
}

func newWebhooks(t *testing.T) *webhooks {
	t.Helper()
	h := &webhooks{got: map[string]int{}, holds: map[string]*hold{}}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		tag := strings.TrimPrefix(r.URL.Path, "/hook/")
		h.mu.Lock()
		h.got[r.Header.Get("X-Userservice-Delivery")]++
		hd := h.holds[tag]
		delete(h.holds, tag)
		h.mu.Unlock()
		if hd != nil {
			close(hd.arrived)
			select {
			case <-hd.release:
			case <-r.Context().Done():
			}
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

// posts returns how often the notice id was posted.
func (h *webhooks) posts(id string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.got[id]
}
