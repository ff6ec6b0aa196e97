package query

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// TokenCache is a TokenReader that remembers the tokens its store found, for
// at most TTL: authenticating a request then costs no database round trip.
//
// The bound: a token revoked through this process (RevokingStore) stops
// working at once; one revoked elsewhere (another replica, usersctl, SQL)
// stops as soon as this process hears of it (Forget, called by the
// store's change listener: milliseconds after the revocation commits), and
// in any case, a notice lost with a dropped listener included, at most TTL
// after the revocation committed. Expiry is exact: the cached expiry time is
// checked on every request. Unknown tokens are never cached, so a token
// issued elsewhere works at once.
type TokenCache struct {
	inner TokenReader
	ttl   time.Duration
	max   int
	now   func() time.Time

	mu     sync.Mutex
	byHash map[string]cachedToken
	// epoch counts Forget and Reset calls: a lookup that began before one
	// may have read the token before the change it announces, so its
	// answer is not cached.
	epoch uint64
}

type cachedToken struct {
	token   StoredToken
	fetched time.Time
}

// maxCachedTokens bounds the cache; when it is full it starts again empty
// (a process serves a few tokens; only a flood of distinct valid tokens
// fills it, and then the store is asked as without a cache).
const maxCachedTokens = 10_000

// NewTokenCache returns a cache of inner's tokens, each kept for ttl (> 0).
func NewTokenCache(inner TokenReader, ttl time.Duration, now func() time.Time) (*TokenCache, error) {
	if inner == nil || now == nil {
		return nil, errors.New("NewTokenCache: nil dependency")
	}
	if ttl <= 0 {
		return nil, fmt.Errorf("NewTokenCache: ttl %s, want > 0", ttl)
	}
	return &TokenCache{inner: inner, ttl: ttl, max: maxCachedTokens, now: now, byHash: map[string]cachedToken{}}, nil
}

// TokenByHash implements TokenReader.
func (c *TokenCache) TokenByHash(ctx context.Context, hash []byte) (StoredToken, error) {
	now := c.now()
	c.mu.Lock()
	e, ok := c.byHash[string(hash)]
	epoch := c.epoch
	c.mu.Unlock()
	if ok && now.Sub(e.fetched) < c.ttl && !now.Before(e.fetched) {
		return e.token, nil
	}
	t, err := c.inner.TokenByHash(ctx, hash)
	if err != nil {
		return t, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.epoch != epoch {
		return t, nil
	}
	if len(c.byHash) >= c.max {
		clear(c.byHash)
	}
	c.byHash[string(hash)] = cachedToken{token: t, fetched: now}
	return t, nil
}

// Forget drops the token with that id, so its next use asks the store.
func (c *TokenCache) Forget(tokenID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	for h, e := range c.byHash {
		if e.token.TokenID == tokenID {
			delete(c.byHash, h)
		}
	}
}

// Reset drops every token, so each is asked of the store again: for a
// listener that (re)connects and so may have missed notices.
func (c *TokenCache) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	clear(c.byHash)
}
