// Package preauth is what both HTTP ports (the admin API, SCIM) do before and
// around the token lookup, so that unauthenticated clients cannot make the
// service work for them: a client address that keeps presenting bad tokens
// is refused without a database query until its failure budget refills.
// (A malformed token never reaches the database in the first place: the
// authenticate query refuses it by its shape.)
package preauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/userservice/userservice/app/auth"
	"github.com/userservice/userservice/ports/internal/bearer"
	"github.com/userservice/userservice/ports/internal/ratelimit"
)

// Defaults of the failure budget per client address: a person mistyping a
// token, or a script with a revoked one, never notices; a flood of guessed
// tokens costs at most this many lookups a second.
const (
	DefaultFailureRate  = 10.0
	DefaultFailureBurst = 100
)

// Config configures a Gate.
type Config struct {
	// FailureRate is how many failed authentications per second a client
	// address may make, sustained; beyond it (and the burst) its requests
	// are refused with 429 before any lookup. Zero means DefaultFailureRate;
	// negative disables the budget.
	FailureRate float64
	// FailureBurst is how many failures may come at once. Zero means
	// DefaultFailureBurst.
	FailureBurst int
	// TrustedProxies are the networks of the load balancers in front of the
	// service: for a request from one of them the client address is the
	// right-most address of X-Forwarded-For that is not itself trusted.
	// Empty: the peer address is the client (X-Forwarded-For is ignored, since
	// anyone can send it).
	TrustedProxies []netip.Prefix
}

// Gate authenticates requests within the per-address failure budget.
type Gate struct {
	failures *ratelimit.PerToken
	trusted  []netip.Prefix
}

// New returns a Gate; the zero Config gives the defaults.
func New(cfg Config) (*Gate, error) {
	if cfg.FailureRate == 0 {
		cfg.FailureRate = DefaultFailureRate
	}
	if cfg.FailureBurst == 0 {
		cfg.FailureBurst = DefaultFailureBurst
	}
	if cfg.FailureRate > 0 && cfg.FailureBurst < 1 {
		return nil, errors.New("preauth: FailureBurst must be positive when FailureRate is")
	}
	return &Gate{failures: ratelimit.New(cfg.FailureRate, cfg.FailureBurst), trusted: cfg.TrustedProxies}, nil
}

// TooManyFailures is returned instead of looking the token up when the
// client address has used its failure budget.
type TooManyFailures struct {
	// RetryAfter is when the next attempt will be looked at again.
	RetryAfter time.Duration
}

func (e *TooManyFailures) Error() string {
	return fmt.Sprintf("too many failed authentications from this address; retry after %s", e.RetryAfter.Round(time.Second))
}

// Lookup resolves a presented token; it returns auth.ErrUnauthenticated
// (possibly wrapped) for a token that does not authenticate.
type Lookup func(ctx context.Context, token string) (auth.Principal, error)

// Authenticate reads the request's bearer token and looks it up, unless the
// client address has used its failure budget (then *TooManyFailures, and no
// lookup). A presented token that does not authenticate spends one unit of
// the budget; a request without any Authorization header does not, since it
// cost nothing to answer.
func (g *Gate) Authenticate(r *http.Request, lookup Lookup) (auth.Principal, error) {
	client := g.clientKey(r)
	if empty, wait := g.failures.Empty(client); empty {
		return auth.Principal{}, &TooManyFailures{RetryAfter: wait}
	}
	token, ok := bearer.Token(r.Header)
	if !ok {
		if len(r.Header.Values("Authorization")) > 0 {
			g.failures.Allow(client)
		}
		return auth.Principal{}, auth.ErrUnauthenticated
	}
	p, err := lookup(r.Context(), token)
	if errors.Is(err, auth.ErrUnauthenticated) {
		g.failures.Allow(client)
	}
	return p, err
}

// clientKey is the budget's key for the request's client: its address, or
// for IPv6 its /64, which one host or site usually holds whole.
func (g *Gate) clientKey(r *http.Request) string {
	addr := peerAddr(r.RemoteAddr)
	if g.isTrusted(addr) {
		hops := r.Header.Values("X-Forwarded-For")
		for i := len(hops) - 1; i >= 0; i-- {
			parts := strings.Split(hops[i], ",")
			for j := len(parts) - 1; j >= 0; j-- {
				hop, err := netip.ParseAddr(strings.TrimSpace(parts[j]))
				if err != nil {
					return addrKey(addr) // a forged or broken list: the proxy is the client
				}
				addr = hop.Unmap()
				if !g.isTrusted(addr) {
					return addrKey(addr)
				}
			}
		}
	}
	return addrKey(addr)
}

func (g *Gate) isTrusted(a netip.Addr) bool {
	for _, p := range g.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func peerAddr(remote string) netip.Addr {
	ap, err := netip.ParseAddrPort(remote)
	if err != nil {
		a, _ := netip.ParseAddr(remote) // tests may set a bare address
		return a.Unmap()
	}
	return ap.Addr().Unmap()
}

func addrKey(a netip.Addr) string {
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}
