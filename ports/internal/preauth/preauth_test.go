package preauth

import (
	"context"
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/userservice/userservice/app/auth"
)

func TestClientKeyTrustsOnlyConfiguredProxies(t *testing.T) {
	g, err := New(Config{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ remote, xff, want string }{
		{"192.0.2.7:5000", "", "192.0.2.7"},
		{"192.0.2.7:5000", "203.0.113.9", "192.0.2.7"},                // not a proxy: its header is ignored
		{"10.1.2.3:5000", "203.0.113.9", "203.0.113.9"},               // the proxy says who the client is
		{"10.1.2.3:5000", "198.51.100.1, 203.0.113.9", "203.0.113.9"}, // the right-most untrusted hop
		{"10.1.2.3:5000", "203.0.113.9, 10.9.9.9", "203.0.113.9"},     // through two proxies
		{"10.1.2.3:5000", "not-an-address", "10.1.2.3"},
		{"[2001:db8:1:2:3:4:5:6]:443", "", "2001:db8:1:2::/64"},
		{"[::ffff:192.0.2.8]:80", "", "192.0.2.8"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tc.remote
		if tc.xff != "" {
			r.Header.Set("X-Forwarded-For", tc.xff)
		}
		if got := g.clientKey(r); got != tc.want {
			t.Errorf("remote %s, X-Forwarded-For %q: client %q, want %q", tc.remote, tc.xff, got, tc.want)
		}
	}
}

func TestMissingHeaderSpendsNoBudget(t *testing.T) {
	g, err := New(Config{FailureRate: 1, FailureBurst: 2})
	if err != nil {
		t.Fatal(err)
	}
	lookups := 0
	lookup := func(context.Context, string) (auth.Principal, error) {
		lookups++
		return auth.Principal{}, auth.ErrUnauthenticated
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "192.0.2.1:1"
	for range 10 {
		if _, err := g.Authenticate(r, lookup); err != auth.ErrUnauthenticated {
			t.Fatalf("no header: %v", err)
		}
	}
	r.Header.Set("Authorization", "Bearer usr_x")
	for range 2 {
		if _, err := g.Authenticate(r, lookup); err != auth.ErrUnauthenticated {
			t.Fatalf("bad token within the budget: %v", err)
		}
	}
	var tmf *TooManyFailures
	if _, err := g.Authenticate(r, lookup); err == nil || !asTooMany(err, &tmf) || tmf.RetryAfter <= 0 {
		t.Fatalf("beyond the budget: %v", err)
	}
	if lookups != 2 {
		t.Errorf("%d lookups, want 2", lookups)
	}
}

func asTooMany(err error, target **TooManyFailures) bool {
	t, ok := err.(*TooManyFailures)
	*target = t
	return ok
}
