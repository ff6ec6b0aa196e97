//go:build chaos

package chaos

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/userservice/userservice/app/auth"
	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/cmd/internal/service"
)

// hostileFor is how long the hostile tenant attacks, after the victim's
// latency was measured alone for hostileBaseline.
const (
	hostileFor      = 15 * time.Second
	hostileBaseline = 10 * time.Second
)

// hostileTenant is the "hostile-tenant" round: while the scenario's tenant
// (the victim) runs its commands and import, another tenant, and clients
// without a valid token, attack the same processes for hostileFor: random
// and malformed bearer tokens, oversized bodies and fields, a CSV whose
// managers form one long loop, more concurrent uploads than allowed, a SCIM
// Bulk request of a 1,000-operation bulkId chain, and clients that send their
// headers a byte a second. Each attacker has a loopback address of its own
// (127.0.0.x), as distinct clients would. It reports the victim's command
// latency and import rate in the hostileBaseline before the attack (the victim
// alone) and during it; the scenario's
// checks then hold the victim's commands, events and import to the same
// invariants as after any fault.
func (s *scenario) hostileTenant() {
	t := s.t
	admin, importer := s.newHostileTenant()
	h := &hostileCounts{byKind: map[string]map[int]int{}}
	baseline := time.Now()
	alone := s.probeImport("alone")
	time.Sleep(time.Until(baseline.Add(hostileBaseline)))
	start := time.Now()
	stop := start.Add(hostileFor)
	var attacked time.Duration
	var wgProbe sync.WaitGroup
	wgProbe.Go(func() {
		time.Sleep(2 * time.Second) // once every attacker is at it
		attacked = s.probeImport("attacked")
	})

	var wg sync.WaitGroup
	for i := range 2 {
		client := hostileClient(fmt.Sprintf("127.0.0.%d", 10+i))
		wg.Go(func() { s.floodBadTokens(client, h, stop) })
	}
	wg.Go(func() { s.oversize(hostileClient("127.0.0.20"), admin, h, stop) })
	wg.Go(func() {
		s.loopImport(hostileClient("127.0.0.21"), importer, h)
		var uploads sync.WaitGroup
		for i := range 3 { // one more than IMPORT_UPLOADS_PER_TENANT allows at once
			uploads.Go(func() {
				s.upload(hostileClient("127.0.0.21"), importer, "extra", plainRows(fmt.Sprintf("%s-x%d", s.tag, i), 2000), h)
			})
		}
		uploads.Wait()
	})
	wg.Go(func() { s.bulkChain(hostileClient("127.0.0.22"), admin, h) })
	cut := make(chan int, 1)
	wg.Go(func() { cut <- slowHeaders(s.apiBase, 20, stop) })
	wg.Wait()
	end := time.Now()
	wgProbe.Wait()

	before, during := s.victimLatency(baseline, start, end)
	cutConns := <-cut
	line := fmt.Sprintf("chaos hostile-tenant: victim commands p50 %s p99 %s (%d) alone, p50 %s p99 %s (%d) during the attack; "+
		"victim %d-row import %s alone, %s during the attack | hostile: %s | slow-header connections cut %d of 20",
		before.p50, before.p99, before.n, during.p50, during.p99, during.n, probeRows, alone.Round(time.Millisecond),
		attacked.Round(time.Millisecond), h, cutConns)
	fmt.Fprintln(os.Stdout, line)
	t.Log(line)
	if during.n == 0 {
		t.Errorf("no command of the victim was answered during the attack")
	}
	if h.count("bad-token", http.StatusTooManyRequests) == 0 {
		t.Errorf("the bad-token flood was never refused 429 before its token lookup: %s", h)
	}
	if cutConns != 20 {
		t.Errorf("%d of 20 slow-header connections were cut off", cutConns)
	}
}

// probeRows is the size of the victim's timed imports.
const probeRows = 200

// probeImport uploads a small import of the victim and returns how long it
// took from upload to finished job.
func (s *scenario) probeImport(name string) time.Duration {
	t := s.t
	var b strings.Builder
	b.WriteString("external_id,email,given_name,family_name,department\n")
	for i := range probeRows {
		fmt.Fprintf(&b, "%s-P%s%d,%s-p%s%d@chaos.test,Probe,Row%d,probes\n", s.tag, name, i, s.tag, name, i, i)
	}
	began := time.Now()
	req, _ := http.NewRequest(http.MethodPost, s.apiBase+"/v1/imports", strings.NewReader(b.String()))
	req.Header.Set("Authorization", "Bearer "+s.importer)
	req.Header.Set("Content-Type", "text/csv")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Errorf("probe import %s: %v", name, err)
		return 0
	}
	var j job
	_ = json.NewDecoder(resp.Body).Decode(&j)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted || j.ID == "" {
		t.Errorf("probe import %s: %d", name, resp.StatusCode)
		return 0
	}
	s.probeJobs = append(s.probeJobs, j.ID) // one probe at a time; the checks read it after the round
	for deadline := time.Now().Add(3 * time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		var got job
		getJSON(t, s.apiBase, s.importer, "/v1/imports/"+j.ID, &got)
		if got.finished() {
			if got.Created != probeRows {
				t.Errorf("probe import %s: %+v, want %d created", name, got, probeRows)
			}
			return time.Since(began)
		}
	}
	t.Errorf("probe import %s not finished in 3 minutes", name)
	return 0
}

// newHostileTenant makes the attacking tenant and its admin and importer tokens.
func (s *scenario) newHostileTenant() (admin, importer string) {
	t := s.t
	ctx := context.Background()
	application, err := service.BuildApplication(s.env.pool, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	tn, err := application.Commands.CreateTenant.Handle(ctx, command.CreateTenant{Name: "hostile " + s.tag, Seats: 1_000_000})
	if err != nil {
		t.Fatal(err)
	}
	token := func(r auth.Role) string {
		tok, err := application.Commands.IssueToken.Handle(ctx, command.IssueToken{TenantID: tn.ID, Role: r})
		if err != nil {
			t.Fatal(err)
		}
		return tok.Plaintext
	}
	return token(auth.RoleAdmin), token(auth.RoleImporter)
}

// hostileClient sends from its own loopback address.
func hostileClient(ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	return &http.Client{Timeout: time.Minute, Transport: &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 8}}
}

// hostileCounts counts the answers the attackers got, by kind and status.
type hostileCounts struct {
	mu     sync.Mutex
	byKind map[string]map[int]int
}

func (h *hostileCounts) add(kind string, status int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.byKind[kind] == nil {
		h.byKind[kind] = map[int]int{}
	}
	h.byKind[kind][status]++
}

func (h *hostileCounts) count(kind string, status int) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.byKind[kind][status]
}

func (h *hostileCounts) String() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	kinds := make([]string, 0, len(h.byKind))
	for k := range h.byKind {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	parts := make([]string, 0, len(kinds))
	for _, k := range kinds {
		var st []string
		codes := make([]int, 0, len(h.byKind[k]))
		for c := range h.byKind[k] {
			codes = append(codes, c)
		}
		slices.Sort(codes)
		for _, c := range codes {
			st = append(st, fmt.Sprintf("%d×%d", h.byKind[k][c], c))
		}
		parts = append(parts, k+" "+strings.Join(st, " "))
	}
	return strings.Join(parts, ", ")
}

// call sends one hostile request and counts its status (0: transport error).
func (s *scenario) hostileCall(c *http.Client, kind, method, path, token, media string, body io.Reader, h *hostileCounts) int {
	req, err := http.NewRequest(method, s.apiBase+path, body)
	if err != nil {
		s.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if media != "" {
		req.Header.Set("Content-Type", media)
	}
	status := 0
	if resp, err := c.Do(req); err == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		status = resp.StatusCode
	}
	h.add(kind, status)
	return status
}

// floodBadTokens sends random well-formed and malformed tokens as fast as it
// can until stop.
func (s *scenario) floodBadTokens(c *http.Client, h *hostileCounts, stop time.Time) {
	for n := 0; time.Now().Before(stop); n++ {
		token := fmt.Sprintf("garbage-%d", n)
		if n%2 == 0 {
			token, _ = auth.NewToken()
		}
		path := "/v1/users"
		if n%3 == 0 {
			path = "/scim/v2/Users"
		}
		s.hostileCall(c, "bad-token", http.MethodGet, path, token, "", nil, h)
	}
}

// oversize sends bodies and fields beyond every limit until stop.
func (s *scenario) oversize(c *http.Client, admin string, h *hostileCounts, stop time.Time) {
	var created struct {
		ID string `json:"id"`
	}
	req, _ := http.NewRequest(http.MethodPost, s.apiBase+"/v1/users", strings.NewReader(
		`{"email":"hostile-`+s.tag+`@hostile.test","given_name":"Host","family_name":"Ile"}`))
	req.Header.Set("Authorization", "Bearer "+admin)
	req.Header.Set("Content-Type", "application/json")
	if resp, err := c.Do(req); err == nil {
		_ = json.NewDecoder(resp.Body).Decode(&created)
		resp.Body.Close()
	}
	huge := `{"given_name":"` + strings.Repeat("x", 2<<20) + `"}`
	longReason := `{"reason":"` + strings.Repeat(`\"`, 300_000) + `"}`
	longName := `{"email":"long-` + s.tag + `@hostile.test","given_name":"` + strings.Repeat("N", 100_000) + `","family_name":"L"}`
	for time.Now().Before(stop) {
		s.hostileCall(c, "oversize-body", http.MethodPatch, "/v1/users/"+created.ID, admin, "application/merge-patch+json", strings.NewReader(huge), h)
		s.hostileCall(c, "oversize-reason", http.MethodPost, "/v1/users/"+created.ID+"/deactivate", admin, "application/json", strings.NewReader(longReason), h)
		s.hostileCall(c, "oversize-field", http.MethodPost, "/v1/users", admin, "application/json", strings.NewReader(longName), h)
	}
}

// loopImport uploads a CSV whose 2,000 rows' managers form one loop.
func (s *scenario) loopImport(c *http.Client, importer string, h *hostileCounts) {
	const n = 2000
	var b bytes.Buffer
	b.WriteString("external_id,email,given_name,family_name,manager_external_id\n")
	for i := range n {
		fmt.Fprintf(&b, "%s-L%d,%s-l%d@hostile.test,Loop,Row%d,%s-L%d\n", s.tag, i, s.tag, i, i, s.tag, (i+1)%n)
	}
	s.upload(c, importer, "loop", b.String(), h)
}

func plainRows(prefix string, n int) string {
	var b strings.Builder
	b.WriteString("external_id,email,given_name,family_name\n")
	for i := range n {
		fmt.Fprintf(&b, "%s-%d,%s-%d@hostile.test,Plain,Row%d\n", prefix, i, prefix, i, i)
	}
	return b.String()
}

func (s *scenario) upload(c *http.Client, importer, kind, csv string, h *hostileCounts) {
	s.hostileCall(c, "upload-"+kind, http.MethodPost, "/v1/imports", importer, "text/csv", strings.NewReader(csv), h)
}

// bulkChain sends one SCIM Bulk request of 1,000 creates, each naming the
// next as its manager, listed last-first.
func (s *scenario) bulkChain(c *http.Client, admin string, h *hostileCounts) {
	const n = 1000
	ops := make([]any, n)
	for i := range ops {
		data := map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
			"userName": fmt.Sprintf("%s-b%d@hostile.test", s.tag, i), "name": map[string]any{"givenName": "Bulk", "familyName": "Chain"}}
		if i < n-1 {
			data["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"] = map[string]any{
				"manager": map[string]any{"value": fmt.Sprintf("bulkId:b%d", i+1)}}
		}
		ops[i] = map[string]any{"method": "POST", "bulkId": fmt.Sprintf("b%d", i), "path": "/Users", "data": data}
	}
	body, _ := json.Marshal(map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:BulkRequest"}, "Operations": ops})
	s.hostileCall(c, "scim-bulk-chain", http.MethodPost, "/scim/v2/Bulk", admin, "application/scim+json", bytes.NewReader(body), h)
}

// slowHeaders opens n connections that send their request headers a byte a
// second until stop, and counts those the server cut off.
func slowHeaders(base string, n int, stop time.Time) int {
	addr := strings.TrimPrefix(base, "http://")
	var cut int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.23")}}
			conn, err := d.Dial("tcp", addr)
			if err != nil {
				return
			}
			defer conn.Close()
			header := fmt.Sprintf("GET /v1/users HTTP/1.1\r\nHost: x\r\nX-Slow-%d: ", i) + strings.Repeat("a", 1000)
			for j := 0; j < len(header) && time.Now().Before(stop); j++ {
				if _, err := conn.Write([]byte{header[j]}); err != nil {
					mu.Lock()
					cut++
					mu.Unlock()
					return
				}
				time.Sleep(time.Second)
			}
			_ = conn.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
			var ne net.Error
			if _, err := conn.Read(make([]byte, 1)); err != nil && !(errors.As(err, &ne) && ne.Timeout()) {
				mu.Lock()
				cut++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return cut
}

// percentiles of the victim's acknowledged command attempts.
type percentiles struct {
	n        int
	p50, p99 time.Duration
}

// victimLatency splits the victim's answered commands into the baseline
// (from baseline to start: the victim alone) and the attack (start to end).
func (s *scenario) victimLatency(baseline, start, end time.Time) (before, during percentiles) {
	s.load.mu.Lock()
	answered := append([]latency(nil), s.load.answered...)
	s.load.mu.Unlock()
	var b, d []time.Duration
	for _, a := range answered {
		switch {
		case a.at.Before(baseline):
		case a.at.Before(start):
			b = append(b, a.took)
		case a.at.Before(end):
			d = append(d, a.took)
		}
	}
	return pct(b), pct(d)
}

func pct(ds []time.Duration) percentiles {
	if len(ds) == 0 {
		return percentiles{}
	}
	slices.Sort(ds)
	at := func(q float64) time.Duration {
		return ds[min(len(ds)-1, int(q*float64(len(ds))))].Round(100 * time.Microsecond)
	}
	return percentiles{n: len(ds), p50: at(0.50), p99: at(0.99)}
}
