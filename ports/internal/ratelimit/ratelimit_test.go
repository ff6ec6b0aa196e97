package ratelimit

import (
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

func TestTokenLimiterRefusesBeyondBurstAndRefills(t *testing.T) {
	now := time.Unix(1000, 0)
	l := New(2, 3) // 2/s, burst 3
	l.now = func() time.Time { return now }
	for i := range 3 {
		if ok, _ := l.Allow("a"); !ok {
			t.Fatalf("request %d within the burst refused", i)
		}
	}
	ok, wait := l.Allow("a")
	if ok || wait <= 0 || wait > time.Second {
		t.Fatalf("beyond the burst: ok %v, retry after %v; want refused with a wait of at most 1s", ok, wait)
	}
	if ok, _ := l.Allow("b"); !ok {
		t.Fatal("another token shares the first one's bucket")
	}
	// Refused requests do not push the refill further away.
	for range 10 {
		l.Allow("a")
	}
	now = now.Add(600 * time.Millisecond)
	if ok, _ := l.Allow("a"); !ok {
		t.Fatal("bucket did not refill at the configured rate")
	}
	// Idle buckets are dropped after the TTL.
	now = now.Add(2 * idleBucketTTL)
	l.Allow("c")
	if _, kept := l.buckets["b"]; kept {
		t.Fatal("idle bucket kept")
	}
}

func TestRetryAfterRoundsUpToWholeSeconds(t *testing.T) {
	w := httptest.NewRecorder()
	SetRetryAfter(w, 1200*time.Millisecond)
	if got := w.Header().Get("Retry-After"); got != "2" {
		t.Fatalf("Retry-After = %q, want 2", got)
	}
	if New(-1, 0) != nil {
		t.Fatal("a negative rate should disable the limiter")
	}
	var disabled *PerToken
	if ok, _ := disabled.Allow("x"); !ok {
		t.Fatal("a disabled limiter refused")
	}
}

func TestLimiterMemoryIsBoundedUnderAFloodOfKeys(t *testing.T) {
	now := time.Unix(1000, 0)
	l := New(1, 1)
	l.now = func() time.Time { return now }
	l.maxBuckets = 1000
	for i := range 30 * l.maxBuckets {
		l.Allow(strconv.Itoa(i))
	}
	if n := len(l.buckets); n > l.maxBuckets {
		t.Fatalf("%d buckets after %d keys, want at most %d", n, 30*l.maxBuckets, l.maxBuckets)
	}
	// A key whose budget is spent and was kept is still refused.
	l.Allow("spent")
	if ok, _ := l.Allow("spent"); ok {
		t.Fatal("a spent bucket was forgotten right away")
	}
}
