package query

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/userservice/userservice/app/auth"
)

// tokenTable is an in-memory TokenReader that counts its lookups.
type tokenTable struct {
	mu      sync.Mutex
	tokens  map[string]StoredToken
	lookups int
}

func (s *tokenTable) TokenByHash(_ context.Context, hash []byte) (StoredToken, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lookups++
	t, ok := s.tokens[string(hash)]
	if !ok {
		return StoredToken{}, auth.ErrUnauthenticated
	}
	return t, nil
}

func (s *tokenTable) revoke(hash []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tokens[string(hash)]
	t.Revoked = true
	s.tokens[string(hash)] = t
}

func TestTokenCacheBoundsHowLongARevokedTokenWorks(t *testing.T) {
	const ttl = 2 * time.Second
	clock := time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)
	now := func() time.Time { return clock }
	plain, hash := auth.NewToken()
	expires := clock.Add(10 * time.Second)
	store := &tokenTable{tokens: map[string]StoredToken{string(hash): {
		Principal: auth.Principal{TokenID: "t1", TenantID: "tn", Role: auth.RoleAdmin}, Hash: hash, ExpiresAt: &expires}}}
	cache, err := NewTokenCache(store, ttl, now)
	if err != nil {
		t.Fatal(err)
	}
	h, err := NewAuthenticateHandler(cache, now)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	authenticate := func() error { _, err := h.Handle(ctx, plain); return err }

	for range 5 {
		if err := authenticate(); err != nil {
			t.Fatal(err)
		}
	}
	if store.lookups != 1 {
		t.Fatalf("5 requests asked the store %d times, want 1", store.lookups)
	}
	// Revoked elsewhere: works until the TTL has passed since the lookup, never after.
	store.revoke(hash)
	clock = clock.Add(ttl - time.Millisecond)
	if err := authenticate(); err != nil {
		t.Fatalf("within the TTL the cached token still works (the documented bound), got %v", err)
	}
	clock = clock.Add(time.Millisecond)
	if err := authenticate(); err != auth.ErrUnauthenticated {
		t.Fatalf("TTL after the lookup: err = %v, want ErrUnauthenticated", err)
	}
}

func TestTokenCacheForgetAndExpiryAreImmediate(t *testing.T) {
	clock := time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)
	now := func() time.Time { return clock }
	plain, hash := auth.NewToken()
	expires := clock.Add(time.Second)
	store := &tokenTable{tokens: map[string]StoredToken{string(hash): {
		Principal: auth.Principal{TokenID: "t1", TenantID: "tn", Role: auth.RoleAdmin}, Hash: hash, ExpiresAt: &expires}}}
	cache, err := NewTokenCache(store, time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	h, _ := NewAuthenticateHandler(cache, now)
	ctx := context.Background()
	if _, err := h.Handle(ctx, plain); err != nil {
		t.Fatal(err)
	}
	store.revoke(hash)
	cache.Forget("t1") // revoked through this process
	if _, err := h.Handle(ctx, plain); err != auth.ErrUnauthenticated {
		t.Fatalf("after Forget: err = %v, want ErrUnauthenticated", err)
	}
	// Expiry needs no lookup: the cached expiry time is checked each time.
	store.tokens[string(hash)] = StoredToken{Principal: auth.Principal{TokenID: "t1", TenantID: "tn", Role: auth.RoleAdmin},
		Hash: hash, ExpiresAt: &expires}
	cache.Forget("t1")
	if _, err := h.Handle(ctx, plain); err != nil {
		t.Fatal(err)
	}
	clock = expires
	if _, err := h.Handle(ctx, plain); err != auth.ErrUnauthenticated {
		t.Fatalf("at expiry: err = %v, want ErrUnauthenticated", err)
	}
	// Unknown tokens are not cached: one issued later works at once.
	other, otherHash := auth.NewToken()
	if _, err := h.Handle(ctx, other); err != auth.ErrUnauthenticated {
		t.Fatalf("unknown token: %v", err)
	}
	store.tokens[string(otherHash)] = StoredToken{Principal: auth.Principal{TokenID: "t2", TenantID: "tn", Role: auth.RoleReader}, Hash: otherHash}
	if _, err := h.Handle(ctx, other); err != nil {
		t.Fatalf("token issued after a miss: %v", err)
	}
}

// slowTable is a tokenTable whose lookups wait for a signal after reading,
// standing for a lookup that read the token just before a revocation.
type slowTable struct {
	*tokenTable
	read, resume chan struct{}
}

func (s slowTable) TokenByHash(ctx context.Context, hash []byte) (StoredToken, error) {
	t, err := s.tokenTable.TokenByHash(ctx, hash)
	s.read <- struct{}{}
	<-s.resume
	return t, err
}

func TestTokenCacheDoesNotKeepALookupThatRacedAForget(t *testing.T) {
	for name, invalidate := range map[string]func(*TokenCache){
		"Forget": func(c *TokenCache) { c.Forget("t1") },
		"Reset":  (*TokenCache).Reset,
	} {
		t.Run(name, func(t *testing.T) {
			clock := time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)
			now := func() time.Time { return clock }
			_, hash := auth.NewToken()
			table := &tokenTable{tokens: map[string]StoredToken{string(hash): {
				Principal: auth.Principal{TokenID: "t1", TenantID: "tn", Role: auth.RoleAdmin}, Hash: hash}}}
			store := slowTable{tokenTable: table, read: make(chan struct{}, 2), resume: make(chan struct{}, 2)}
			cache, err := NewTokenCache(store, time.Hour, now)
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { _, err := cache.TokenByHash(context.Background(), hash); done <- err }()
			<-store.read // the lookup has read the token, still valid
			table.revoke(hash)
			invalidate(cache) // the revocation's notice arrives before the lookup stores its answer
			store.resume <- struct{}{}
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			store.resume <- struct{}{}
			got, err := cache.TokenByHash(context.Background(), hash)
			if err != nil || !got.Revoked {
				t.Fatalf("after the notice: revoked = %v, err = %v; the raced lookup's stale answer was cached", got.Revoked, err)
			}
			if table.lookups != 2 {
				t.Fatalf("store asked %d times, want 2", table.lookups)
			}
		})
	}
}
