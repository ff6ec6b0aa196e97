package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// slowUpload is a CSV upload whose body the test feeds, on a connection of
// its own (chunked): it stays in progress (spooling) until finish, and an
// early answer (it lost the race for the tenant's slot or budget to a
// concurrent upload) can be read while the body is still open, which
// net/http's client does not show.
type slowUpload struct {
	conn net.Conn
	br   *bufio.Reader
	code int
	body string // of an early answer
}

func startSlowUpload(t *testing.T, s *svc, token, first string) *slowUpload {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	_, err = fmt.Fprintf(conn, "POST /v1/imports HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"+
		"Content-Type: text/csv\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n", token, len(first), first)
	if err != nil {
		t.Fatal(err)
	}
	return &slowUpload{conn: conn, br: bufio.NewReader(conn)}
}

// refused reports whether the upload was answered before its body ended.
func (u *slowUpload) refused() bool {
	if u.code != 0 {
		return true
	}
	_ = u.conn.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	defer u.conn.SetReadDeadline(time.Time{})
	if _, err := u.br.Peek(1); err != nil {
		return false
	}
	_ = u.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(u.br, nil)
	if err != nil {
		u.code = -1
		return true
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	u.code, u.body = resp.StatusCode, string(b)
	return true
}

func (u *slowUpload) finish(t *testing.T) int {
	t.Helper()
	if u.refused() {
		return u.code
	}
	if _, err := io.WriteString(u.conn, "0\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	_ = u.conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	resp, err := http.ReadResponse(u.br, nil)
	if err != nil {
		t.Fatalf("upload not answered: %v", err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func csvRows(prefix string, n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "%s-%d,%s-%d@example.com,Up,Load\n", prefix, i, prefix, i)
	}
	return b.String()
}

// TestUploadsAreCappedPerTenant holds a tenant's upload open (spooling):
// with one upload allowed per tenant, its second upload is refused 429 with
// Retry-After and spools nothing, while another tenant uploads as usual; and
// with a spool budget, uploads beyond the bytes the tenant's uploads in
// progress hold together are refused too.
func TestUploadsAreCappedPerTenant(t *testing.T) {
	t.Parallel()
	const header = "external_id,email,given_name,family_name\n"
	t.Run("uploads in progress", func(t *testing.T) {
		t.Parallel()
		s := startService(t, "api", "IMPORT_UPLOADS_PER_TENANT", "1")
		a, b := newTenant(t, 5000), newTenant(t, 100)
		held := startSlowUpload(t, s, a.importer, header+csvRows("held", 1500))
		deadline := time.Now().Add(10 * time.Second)
		for {
			if held.refused() { // lost the race to the previous attempt: again, with a head start
				held = startSlowUpload(t, s, a.importer, header+csvRows("held", 1500))
				time.Sleep(500 * time.Millisecond)
			}
			r := s.call("POST", "/v1/imports", a.importer, header+csvRows("second", 2), "Content-Type", "text/csv")
			if r.status == http.StatusTooManyRequests {
				if r.header.Get("Retry-After") == "" || !strings.Contains(r.raw, `"rate_limited"`) {
					t.Fatalf("refused upload: %v %s", r.header, r.raw)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("a second upload of the tenant was answered %d while the first was in progress", r.status)
			}
			time.Sleep(50 * time.Millisecond) // the held upload may not have reached the handler yet
		}
		// A refused upload is answered at once, its body still coming: the
		// client need not send the rest (net/http alone would read up to
		// 256 KB more of a chunked body before answering).
		open := startSlowUpload(t, s, a.importer, header+csvRows("open", 2))
		for end := time.Now().Add(10 * time.Second); !open.refused(); {
			if time.Now().After(end) {
				t.Fatal("an upload refused while its body was still open was not answered in 10 s")
			}
		}
		if open.code != http.StatusTooManyRequests {
			t.Fatalf("the open upload = %d %s", open.code, open.body)
		}
		s.call("POST", "/v1/imports", b.importer, header+csvRows("other", 2), "Content-Type", "text/csv").want(t, 202, "")
		if code := held.finish(t); code != http.StatusAccepted {
			t.Fatalf("the held upload = %d", code)
		}
		s.call("POST", "/v1/imports", a.importer, header+csvRows("after", 2), "Content-Type", "text/csv").want(t, 202, "")
	})
	t.Run("spool budget", func(t *testing.T) {
		t.Parallel()
		s := startService(t, "api", "IMPORT_UPLOADS_PER_TENANT", "5", "IMPORT_SPOOL_BYTES_PER_TENANT", "75000")
		a := newTenant(t, 5000)
		held := startSlowUpload(t, s, a.importer, header+csvRows("held", 1500)) // ~58 KB
		big := header + csvRows("big", 900)                                     // ~32 KB
		// The held upload charges its bytes as it stages them, so on a loaded
		// machine a big upload can start before the held one has charged
		// enough to leave no room; the two then overlap, and whichever reads
		// past the budget is refused. Both refusals are the budget at work
		// (fresh-clone CI runs saw the held upload refused at row 1079 for
		// 30 s on end): the test accepts either, and without a budget
		// neither would be refused.
		var heldRefused bool
		deadline := time.Now().Add(60 * time.Second)
		for {
			if held.refused() {
				if held.code != http.StatusTooManyRequests || !strings.Contains(held.body, "spool space") {
					t.Fatalf("the held upload was answered %d before its end: %s", held.code, held.body)
				}
				heldRefused = true
				break
			}
			r := s.call("POST", "/v1/imports", a.importer, big, "Content-Type", "text/csv")
			if r.status == http.StatusTooManyRequests {
				if r.header.Get("Retry-After") == "" || !strings.Contains(r.raw, "spool space") {
					t.Fatalf("refused upload: %v %s", r.header, r.raw)
				}
				break
			}
			if r.status != http.StatusAccepted {
				t.Fatalf("a big upload was answered %d: %s", r.status, r.raw)
			}
			if time.Now().After(deadline) {
				t.Fatal("the held upload and the big ones never overlapped past the budget in 60 s")
			}
			time.Sleep(50 * time.Millisecond)
		}
		s.call("POST", "/v1/imports", a.importer, header+csvRows("small", 3), "Content-Type", "text/csv").want(t, 202, "")
		if !heldRefused {
			if code := held.finish(t); code != http.StatusAccepted {
				t.Fatalf("the held upload = %d", code)
			}
		}
		s.call("POST", "/v1/imports", a.importer, big, "Content-Type", "text/csv").want(t, 202, "")
	})
}
