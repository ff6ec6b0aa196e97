package notify

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"syscall"
	"time"

	"github.com/userservice/userservice/app/errkind"
)

// ErrInternalAddress refuses a webhook that would reach inside the service's
// network: a tenant admin chooses the URL, and the notifier posts from
// inside, so without this a tenant could make it call the cloud's metadata
// service, the database's host or anything else only the service can reach
// (SSRF). Its kind is validation: the tenant's webhook_url is refused.
var ErrInternalAddress = errkind.New(errkind.Validation, "webhook_internal_address", "the webhook address is inside the service's network (loopback, private, link-local or metadata); the operator has not allowed that")

// internalPrefixes are the ranges a webhook may not reach unless the operator
// allows it: RFC 6890's special-purpose ranges that are not the public
// internet. Metadata services live in link-local (169.254.169.254) or ULA
// (fd00:ec2::254) space.
var internalPrefixes = func() []netip.Prefix {
	var ps []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8",       // "this network"; 0.0.0.0 reaches the local host
		"10.0.0.0/8",      // private
		"100.64.0.0/10",   // carrier-grade NAT, often the cluster's own
		"127.0.0.0/8",     // loopback
		"169.254.0.0/16",  // link-local, cloud metadata
		"172.16.0.0/12",   // private
		"192.0.0.0/24",    // IETF protocol assignments
		"192.0.2.0/24",    // documentation
		"192.168.0.0/16",  // private
		"198.18.0.0/15",   // benchmarking
		"198.51.100.0/24", // documentation
		"203.0.113.0/24",  // documentation
		"224.0.0.0/4",     // multicast
		"240.0.0.0/4",     // reserved, broadcast
		"::/128",          // unspecified
		"::1/128",         // loopback
		"64:ff9b:1::/48",  // local-use NAT64
		"100::/64",        // discard
		"2001:db8::/32",   // documentation
		"fc00::/7",        // unique local, incl. fd00:ec2::254 metadata
		"fe80::/10",       // link-local
		"ff00::/8",        // multicast
	} {
		ps = append(ps, netip.MustParsePrefix(s))
	}
	return ps
}()

// IsInternal reports whether a webhook to ip would reach inside. IPv4
// addresses written as IPv6 (::ffff:a.b.c.d) and NAT64 (64:ff9b::a.b.c.d)
// are judged by the IPv4 address they carry.
func IsInternal(ip netip.Addr) bool {
	ip = ip.Unmap()
	if ip.Is6() && netip.MustParsePrefix("64:ff9b::/96").Contains(ip) {
		b := ip.As16()
		ip = netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})
	}
	if !ip.IsValid() {
		return true
	}
	for _, p := range internalPrefixes {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// TargetGuard checks webhook URLs when a tenant saves them, resolving the
// host's name: command.SetNotificationSettings refuses one whose addresses
// are inside unless AllowInternal. The dial-time check (the same rule on the
// address actually dialled) is in the Webhook sender's client: a name that
// resolves to a public address when saved and to a private one when the
// notice is sent (DNS rebinding) is refused then.
type TargetGuard struct {
	// AllowInternal lets webhooks reach loopback, private and link-local
	// addresses (WEBHOOK_ALLOW_INTERNAL): for tests and local receivers.
	AllowInternal bool
	// Resolver looks names up; nil is net.DefaultResolver.
	Resolver *net.Resolver
}

// CheckWebhookTarget implements command.WebhookTargetChecker.
func (g TargetGuard) CheckWebhookTarget(ctx context.Context, u *url.URL) error {
	if g.AllowInternal {
		return nil
	}
	host := u.Hostname()
	if ip, err := netip.ParseAddr(host); err == nil {
		if IsInternal(ip) {
			return ErrInternalAddress
		}
		return nil
	}
	r := g.Resolver
	if r == nil {
		r = net.DefaultResolver
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	addrs, err := r.LookupNetIP(ctx, "ip", host)
	if err != nil {
		// Not known now is no proof it is outside; the dial-time check still
		// guards the send, so a name that does not resolve yet may be saved.
		return nil
	}
	for _, a := range addrs {
		if IsInternal(a) {
			return ErrInternalAddress
		}
	}
	return nil
}

// guardedClient is the webhook sender's HTTP client: every connection's
// address is checked after resolution, in the dialer's Control (so a name
// that resolves differently at send time is judged by what is dialled),
// no proxy from the environment (it would dial on our behalf, unchecked),
// and redirects are followed at most 3 times, each one dialled through the
// same check.
func guardedClient(allowInternal bool) *http.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	if !allowInternal {
		dialer.Control = func(_, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("webhook: dial %s: %w", address, ErrInternalAddress)
			}
			if IsInternal(ap.Addr()) {
				return fmt.Errorf("webhook: dial %s: %w", address, ErrInternalAddress)
			}
			return nil
		}
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.Proxy = nil
	transport.DialContext = dialer.DialContext
	return &http.Client{
		Transport: transport,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > 3 {
				return errors.New("webhook: more than 3 redirects")
			}
			if req.URL.Scheme != "https" && req.URL.Scheme != "http" {
				return fmt.Errorf("webhook: redirect to a %s URL", req.URL.Scheme)
			}
			if ip, err := netip.ParseAddr(req.URL.Hostname()); err == nil && !allowInternal && IsInternal(ip) {
				return fmt.Errorf("webhook: redirect to %s: %w", req.URL.Host, ErrInternalAddress)
			}
			return nil
		},
	}
}
