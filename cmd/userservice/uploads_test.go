package main

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// slowUpload is a CSV upload whose body the test feeds: it stays in progress
// (spooling) until finish.
type slowUpload struct {
	w    *io.PipeWriter
	done chan int
}

func startSlowUpload(t *testing.T, s *svc, token, first string) *slowUpload {
	t.Helper()
	pr, pw := io.Pipe()
	u := &slowUpload{w: pw, done: make(chan int, 1)}
	req, err := http.NewRequest("POST", s.base+"/v1/imports", pr)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "text/csv")
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			u.done <- 0
			return
		}
		resp.Body.Close()
		u.done <- resp.StatusCode
	}()
	if _, err := io.WriteString(pw, first); err != nil {
		t.Fatal(err)
	}
	return u
}

func (u *slowUpload) finish(t *testing.T) int {
	t.Helper()
	_ = u.w.Close()
	select {
	case code := <-u.done:
		return code
	case <-time.After(30 * time.Second):
		t.Fatal("upload not answered")
		return 0
	}
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
		a, b := newTenant(t, 100), newTenant(t, 100)
		held := startSlowUpload(t, s, a.importer, header+csvRows("held", 5))
		deadline := time.Now().Add(10 * time.Second)
		for {
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
		s.call("POST", "/v1/imports", b.importer, header+csvRows("other", 2), "Content-Type", "text/csv").want(t, 202, "")
		if code := held.finish(t); code != http.StatusAccepted {
			t.Fatalf("the held upload = %d", code)
		}
		s.call("POST", "/v1/imports", a.importer, header+csvRows("after", 2), "Content-Type", "text/csv").want(t, 202, "")
	})
	t.Run("spool budget", func(t *testing.T) {
		t.Parallel()
		s := startService(t, "api", "IMPORT_UPLOADS_PER_TENANT", "5", "IMPORT_SPOOL_BYTES_PER_TENANT", "4000")
		a := newTenant(t, 500)
		held := startSlowUpload(t, s, a.importer, header+csvRows("held", 60)) // ~2,500 bytes
		big := header + csvRows("big", 60)
		deadline := time.Now().Add(10 * time.Second)
		for {
			r := s.call("POST", "/v1/imports", a.importer, big, "Content-Type", "text/csv")
			if r.status == http.StatusTooManyRequests {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("an upload beyond the tenant's spool budget was answered %d", r.status)
			}
			time.Sleep(50 * time.Millisecond)
		}
		s.call("POST", "/v1/imports", a.importer, header+csvRows("small", 3), "Content-Type", "text/csv").want(t, 202, "")
		if code := held.finish(t); code != http.StatusAccepted {
			t.Fatalf("the held upload = %d", code)
		}
		s.call("POST", "/v1/imports", a.importer, big, "Content-Type", "text/csv").want(t, 202, "")
	})
}
