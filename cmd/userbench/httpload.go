package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// apiClient calls the admin API over keep-alive connections, one per client
// at most, on loopback.
type apiClient struct {
	base, token string
	http        *http.Client
}

func newAPIClient(base, token string, conns int) *apiClient {
	tr := &http.Transport{
		MaxIdleConns: conns, MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns,
		IdleConnTimeout: time.Minute, DisableCompression: true,
	}
	return &apiClient{base: base, token: token, http: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
}

func (c *apiClient) close() { c.http.CloseIdleConnections() }

// do sends one request and drains the answer; a status other than want is
// an error. It returns the response headers.
func (c *apiClient) do(ctx context.Context, method, path, contentType string, body []byte, want int) (http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", contentType)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != want {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return nil, fmt.Errorf("%s %s: status %d: %s", method, path, resp.StatusCode, strings.TrimSpace(string(msg)))
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.Header, nil
}

// createUser registers a user (POST /v1/users) and returns its id, taken
// from the Location header.
func (c *apiClient) createUser(ctx context.Context, email string) (string, error) {
	body := fmt.Appendf(nil, `{"email":%q,"given_name":"Ada","family_name":"Lovelace","display_name":"Ada Lovelace",`+
		`"department":"bench","title":"Engineer","locale":"en-GB","time_zone":"Europe/London"}`, email)
	h, err := c.do(ctx, http.MethodPost, "/v1/users", "application/json", body, http.StatusCreated)
	if err != nil {
		return "", err
	}
	return strings.TrimPrefix(h.Get("Location"), "/v1/users/"), nil
}

// patchUser sends a merge patch and reports the X-Changed answer.
func (c *apiClient) patchUser(ctx context.Context, id string, patch []byte) (bool, error) {
	h, err := c.do(ctx, http.MethodPatch, "/v1/users/"+id, "application/merge-patch+json", patch, http.StatusOK)
	if err != nil {
		return false, err
	}
	return h.Get("X-Changed") == "true", nil
}

// loadResult is one closed-loop run's measured window.
type loadResult struct {
	Clients  int
	OK       int
	Failed   int
	Window   time.Duration
	Lat      latencies
	FirstErr string
	lat      []time.Duration
}

// merge adds another window of the same load.
func (r loadResult) merge(o loadResult) loadResult {
	if r.Clients == 0 {
		return o
	}
	r.OK += o.OK
	r.Failed += o.Failed
	r.Window += o.Window
	r.lat = append(r.lat, o.lat...)
	r.Lat = summarize(append([]time.Duration(nil), r.lat...))
	if r.FirstErr == "" {
		r.FirstErr = o.FirstErr
	}
	return r
}

// PerSecond is the completed-request rate of the window.
func (r loadResult) PerSecond() float64 {
	if r.Window <= 0 {
		return 0
	}
	return float64(r.OK) / r.Window.Seconds()
}

// closedLoop runs clients workers, each calling op back to back (a closed
// loop: a new request as soon as the last answered) for warmup+window.
// Requests that start and finish inside the window are counted.
func closedLoop(ctx context.Context, clients int, warmup, window time.Duration, op func(ctx context.Context, client, seq int) error) loadResult {
	start := time.Now()
	from, until := start.Add(warmup), start.Add(warmup+window)
	ctx, cancel := context.WithDeadline(ctx, until.Add(30*time.Second))
	defer cancel()
	var (
		mu       sync.Mutex
		all      []time.Duration
		failed   atomic.Int64
		firstErr atomic.Value
		wg       sync.WaitGroup
	)
	for c := range clients {
		wg.Go(func() {
			lat := make([]time.Duration, 0, 4096)
			for seq := 0; ; seq++ {
				t0 := time.Now()
				if !t0.Before(until) || ctx.Err() != nil {
					break
				}
				err := op(ctx, c, seq)
				t1 := time.Now()
				if t0.Before(from) || t1.After(until) {
					continue
				}
				if err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				lat = append(lat, t1.Sub(t0))
			}
			mu.Lock()
			all = append(all, lat...)
			mu.Unlock()
		})
	}
	wg.Wait()
	r := loadResult{Clients: clients, OK: len(all), Failed: int(failed.Load()), Window: window, lat: all}
	r.Lat = summarize(append([]time.Duration(nil), all...))
	if e, ok := firstErr.Load().(string); ok {
		r.FirstErr = e
	}
	return r
}

// paced calls op at a fixed rate for d (an open loop: the schedule does not
// wait for answers), with up to workers calls in flight; calls that find no
// free worker are dropped and counted.
func paced(ctx context.Context, perSecond float64, d time.Duration, workers int, op func(ctx context.Context, seq int)) (sent, dropped int) {
	interval := time.Duration(float64(time.Second) / perSecond)
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for seq := range jobs {
				op(ctx, seq)
			}
		})
	}
	start := time.Now()
	for seq := 0; ; seq++ {
		at := start.Add(time.Duration(seq) * interval)
		if at.Sub(start) >= d || ctx.Err() != nil {
			break
		}
		time.Sleep(time.Until(at))
		select {
		case jobs <- seq:
			sent++
		default:
			dropped++
		}
	}
	close(jobs)
	wg.Wait()
	return sent, dropped
}
