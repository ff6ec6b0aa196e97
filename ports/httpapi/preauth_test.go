package httpapi

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/userservice/userservice/adapters/postgres"
	"github.com/userservice/userservice/adapters/postgres/pgtest"
	"github.com/userservice/userservice/app/auth"
	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/app/porttest"
	"github.com/userservice/userservice/app/query"
)

// TestTokenFloodMakesNoQueryPerRequest floods the API with bad bearer tokens
// from single client addresses: malformed tokens never reach the database,
// and well-formed random ones cost one lookup each only until the address
// has used its failure budget; then it is refused 429 with Retry-After and
// no lookup, while a client at another address still authenticates.
func TestTokenFloodMakesNoQueryPerRequest(t *testing.T) {
	t.Parallel()
	pool := pgtest.Pool(t)
	tenants := postgres.NewTenants(pool)
	tokens := &porttest.CountingTokens{TokenReader: tenants}
	authn, err := query.NewAuthenticateHandler(tokens, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	application := routingApp(t)
	application.Queries.Authenticate = authn
	// One failure back every 1,000 s: the budget cannot refill while the test
	// runs, however slow the machine (at 1/s a loaded run saw a sixth lookup).
	h, err := checkedHandler(t, application, Config{AuthFailureRate: 0.001, AuthFailureBurst: 5})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tenantID := uuid.NewString()
	if err := tenants.CreateTenant(ctx, command.Tenant{ID: tenantID, Name: "flood", Seats: 1}); err != nil {
		t.Fatal(err)
	}
	valid, hash := auth.NewToken()
	if err := tenants.CreateToken(ctx, command.Token{ID: uuid.NewString(), TenantID: tenantID, Role: auth.RoleReader, Hash: hash}); err != nil {
		t.Fatal(err)
	}
	send := func(addr, token string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodPost, "/v1/users", nil)
		r.RemoteAddr = addr
		r.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		return rec
	}

	// Malformed tokens: no lookup at all, from any number of requests.
	for i := range 500 {
		rec := send("192.0.2.1:4000", "garbage-"+strconv.Itoa(i))
		if rec.Code != http.StatusUnauthorized && rec.Code != http.StatusTooManyRequests {
			t.Fatalf("malformed token answered %d", rec.Code)
		}
	}
	if n := tokens.Lookups(); n != 0 {
		t.Fatalf("500 malformed tokens made %d token lookups, want 0", n)
	}

	// Well-formed random tokens: lookups stop at the burst.
	refused := 0
	for range 500 {
		random, _ := auth.NewToken()
		rec := send("192.0.2.2:4000", random)
		switch rec.Code {
		case http.StatusUnauthorized:
		case http.StatusTooManyRequests:
			refused++
			if rec.Header().Get("Retry-After") == "" {
				t.Fatal("429 without Retry-After")
			}
		default:
			t.Fatalf("random token answered %d", rec.Code)
		}
	}
	if n := tokens.Lookups(); n != 5 {
		t.Errorf("500 random tokens from one address made %d token lookups, want 5 (the burst)", n)
	}
	if refused != 495 {
		t.Errorf("%d of 500 refused 429, want 495", refused)
	}
	// The flooding address is refused even with a valid token until its budget
	// refills; another address is not affected.
	if rec := send("192.0.2.2:4000", valid); rec.Code != http.StatusTooManyRequests {
		t.Errorf("valid token from the flooding address = %d, want 429", rec.Code)
	}
	if rec := send("192.0.2.3:4000", valid); rec.Code != http.StatusForbidden {
		t.Errorf("valid reader token from another address on a write = %d, want 403", rec.Code)
	}
	// IPv6 clients are counted per /64: a flood rotating through one /64 is one client.
	before := tokens.Lookups()
	for i := range 50 {
		random, _ := auth.NewToken()
		send("[2001:db8::"+strconv.FormatInt(int64(i+1), 16)+"]:4000", random)
	}
	if n := tokens.Lookups() - before; n != 5 {
		t.Errorf("50 random tokens from one /64 made %d lookups, want 5", n)
	}
}
