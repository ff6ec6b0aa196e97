// Package ratelimit is the per-token request limit both HTTP ports (the
// admin API, SCIM) apply: a token bucket per API token and process.
package ratelimit

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// PerToken is a token bucket per API token. Limits are per process: with
// N api instances behind a balancer a token gets up to N times the rate,
// which is what this guard is for (one runaway client cannot starve the
// others on an instance), not a billing quota.
type PerToken struct {
	limit rate.Limit
	burst int

	mu         sync.Mutex
	buckets    map[string]*bucket
	maxBuckets int
	lastPrune  time.Time
	now        func() time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// idleBucketTTL is how long an unused token's bucket is kept; a refilled
// bucket is the same as a new one, so dropping it loses nothing.
const idleBucketTTL = 10 * time.Minute

// New returns a limit of perSecond requests per token with the given
// burst; nil (no limit) when perSecond is not positive.
func New(perSecond float64, burst int) *PerToken {
	if perSecond <= 0 {
		return nil // disabled
	}
	return &PerToken{limit: rate.Limit(perSecond), burst: burst, buckets: map[string]*bucket{}, maxBuckets: maxBuckets,
		now: time.Now}
}

// Allow takes one request from the token's bucket; when empty it says how
// long until the next request would be allowed. A nil PerToken allows all.
func (l *PerToken) Allow(tokenID string) (ok bool, retryAfter time.Duration) {
	if l == nil {
		return true, 0
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.bucketAt(tokenID, now)
	r := b.lim.ReserveN(now, 1)
	if delay := r.DelayFrom(now); delay > 0 {
		r.CancelAt(now) // a refused request must not use up the future
		return false, delay
	}
	return true, 0
}

// Empty reports whether key's bucket has no whole request left, and how long
// until it has one, without taking anything: a caller that pays only on
// failure (see ports/internal/preauth) asks first and calls Allow to pay.
func (l *PerToken) Empty(key string) (empty bool, retryAfter time.Duration) {
	if l == nil {
		return false, 0
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b, found := l.buckets[key]
	if !found {
		return false, 0
	}
	tokens := b.lim.TokensAt(now)
	if tokens >= 1 {
		return false, 0
	}
	return true, time.Duration((1 - tokens) / float64(l.limit) * float64(time.Second))
}

// bucketAt returns key's bucket, made when missing; it drops buckets idle
// for idleBucketTTL on the way. l.mu must be held.
func (l *PerToken) bucketAt(tokenID string, now time.Time) *bucket {
	if now.Sub(l.lastPrune) > idleBucketTTL {
		for id, b := range l.buckets {
			if now.Sub(b.seen) > idleBucketTTL {
				delete(l.buckets, id)
			}
		}
		l.lastPrune = now
	}
	b, found := l.buckets[tokenID]
	if !found {
		if len(l.buckets) >= l.maxBuckets {
			l.shed(now)
		}
		b = &bucket{lim: rate.NewLimiter(l.limit, l.burst)}
		l.buckets[tokenID] = b
	}
	b.seen = now
	return b
}

// maxBuckets bounds the memory of a limiter keyed by something a client
// chooses (its address: see ports/internal/preauth), whatever the number of
// keys a flood brings.
const maxBuckets = 100_000

// shed makes room for new buckets: first it drops full buckets (a full one
// is the same as a new one), then, if that freed less than a tenth, any
// others up to a tenth, so that a flood of new keys costs one scan per tenth
// of the map rather than one per key. l.mu must be held.
func (l *PerToken) shed(now time.Time) {
	target := l.maxBuckets - l.maxBuckets/10
	for id, b := range l.buckets {
		if b.lim.TokensAt(now) >= float64(l.burst) {
			delete(l.buckets, id)
		}
	}
	for id := range l.buckets {
		if len(l.buckets) <= target {
			break
		}
		delete(l.buckets, id)
	}
}

// SetRetryAfter writes the delay in whole seconds, rounded up (RFC 9110).
func SetRetryAfter(w http.ResponseWriter, d time.Duration) {
	w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(d.Seconds()))))
}
