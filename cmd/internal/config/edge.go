package config

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Edge holds the settings of the service's edge, what it does before a
// request reaches a use case: HTTP server timeouts, the operations listener,
// the cached readiness answer, the pre-authentication limits, the upload caps
// and the public base URL.
type Edge struct {
	// HTTPReadHeaderTimeout cuts off a client that has not sent its request
	// headers in time (HTTP_READ_HEADER_TIMEOUT): the slow-header guard.
	HTTPReadHeaderTimeout time.Duration
	// HTTPReadTimeout bounds reading a whole request, body included
	// (HTTP_READ_TIMEOUT); it must allow the largest CSV upload.
	HTTPReadTimeout time.Duration
	// HTTPWriteTimeout bounds a request from the end of its headers to the
	// end of the answer (HTTP_WRITE_TIMEOUT).
	HTTPWriteTimeout time.Duration
	// HTTPIdleTimeout closes a kept-alive connection left idle
	// (HTTP_IDLE_TIMEOUT).
	HTTPIdleTimeout time.Duration
	// OpsAddr is where the operations listener serves /healthz, /readyz with
	// each check's error and /metrics (OPS_ADDR); empty means none. Bind it
	// to an address only operators reach.
	OpsAddr string
	// ReadinessCache is how long a readiness answer is reused (READINESS_CACHE):
	// probes, however many, cost at most one check per dependency per period.
	ReadinessCache time.Duration
	// AuthFailureRate and AuthFailureBurst are the failed authentications
	// per second (and burst) allowed per client address before its requests
	// are refused without a token lookup (AUTH_FAILURE_RATE, AUTH_FAILURE_BURST);
	// a negative rate disables the limit.
	AuthFailureRate  float64
	AuthFailureBurst int
	// AuthTokenCacheTTL is how long an api process reuses a token it looked
	// up (AUTH_TOKEN_CACHE_TTL; 0 = look up every request). Revocations
	// reach every process by NOTIFY within milliseconds; this is the bound
	// while a process's listener is disconnected (see query.TokenCache).
	AuthTokenCacheTTL time.Duration
	// TrustedProxies are the networks of the load balancers whose
	// X-Forwarded-For names the client (TRUSTED_PROXIES, comma list of CIDRs
	// or addresses).
	TrustedProxies []netip.Prefix
	// ImportUploadsPerTenant caps a tenant's CSV uploads in progress per api
	// process (IMPORT_UPLOADS_PER_TENANT).
	ImportUploadsPerTenant int
	// ImportSpoolBytesPerTenant caps the bytes a tenant's uploads in progress
	// stage into PostgreSQL together (IMPORT_SPOOL_BYTES_PER_TENANT).
	ImportSpoolBytesPerTenant int64
	// PublicBaseURL is the service's absolute URL as clients reach it
	// (PUBLIC_BASE_URL, e.g. https://users.example.com); empty means derived
	// from each request's Host.
	PublicBaseURL string
}

func edgeSettings() []setting {
	return []setting{
		{"HTTP_READ_HEADER_TIMEOUT", "http-read-header-timeout", "5s", "time a client has to send its request headers", parseDur(func(c *Config) *time.Duration { return &c.HTTPReadHeaderTimeout })},
		{"HTTP_READ_TIMEOUT", "http-read-timeout", "10m", "time to read a whole request, body included (allow the largest CSV upload)", parseDur(func(c *Config) *time.Duration { return &c.HTTPReadTimeout })},
		{"HTTP_WRITE_TIMEOUT", "http-write-timeout", "10m", "time from a request's headers to the end of its answer", parseDur(func(c *Config) *time.Duration { return &c.HTTPWriteTimeout })},
		{"HTTP_IDLE_TIMEOUT", "http-idle-timeout", "2m", "how long an idle kept-alive connection stays open", parseDur(func(c *Config) *time.Duration { return &c.HTTPIdleTimeout })},
		{"OPS_ADDR", "ops-addr", "", "listen address of the operations endpoints with details (/healthz, /readyz, /metrics); empty = none", parseOpsAddr},
		{"READINESS_CACHE", "readiness-cache", "2s", "how long a readiness answer is reused; 0 = check on every probe", parseReadinessCache},
		{"AUTH_FAILURE_RATE", "auth-failure-rate", "10", "failed authentications per second per client address before 429 without lookup; -1 = no limit", parseAuthFailureRate},
		{"AUTH_FAILURE_BURST", "auth-failure-burst", "100", "failed authentications a client address may make at once", parseAuthFailureBurst},
		{"AUTH_TOKEN_CACHE_TTL", "auth-token-cache-ttl", "2s", "how long a looked-up token is reused (at most 1m); revocations elsewhere arrive by NOTIFY at once, this bounds them while the listener is down; 0 = no cache", parseTokenCacheTTL},
		{"TRUSTED_PROXIES", "trusted-proxies", "", "load balancers (CIDRs or addresses, comma list) whose X-Forwarded-For names the client", parseTrustedProxies},
		{"IMPORT_UPLOADS_PER_TENANT", "import-uploads-per-tenant", "2", "CSV uploads a tenant may have in progress at once per api process", parseUploadsPerTenant},
		{"IMPORT_SPOOL_BYTES_PER_TENANT", "import-spool-bytes-per-tenant", "536870912", "bytes a tenant's uploads in progress may stage together (at least one upload's 268435456)", parseSpoolBytes},
		{"PUBLIC_BASE_URL", "public-base-url", "", "absolute URL clients reach the service at (SCIM Location, meta.location); empty = from the request's Host", parsePublicBaseURL},
	}
}

func parseDur(field func(c *Config) *time.Duration) func(raw string, c *Config) error {
	return func(raw string, c *Config) error {
		d, err := positiveDuration(raw)
		*field(c) = d
		return err
	}
}

func parseOpsAddr(raw string, c *Config) error {
	if raw == "" {
		c.OpsAddr = ""
		return nil
	}
	if err := checkHostPort(raw, true); err != nil {
		return fmt.Errorf("%q is not a listen address like 127.0.0.1:9090: %w", raw, err)
	}
	c.OpsAddr = raw
	return nil
}

func parseReadinessCache(raw string, c *Config) error {
	d, err := time.ParseDuration(raw)
	if err != nil || d < 0 {
		return fmt.Errorf("%q is not a duration such as 2s (0 = no cache)", raw)
	}
	c.ReadinessCache = d
	return nil
}

func parseTokenCacheTTL(raw string, c *Config) error {
	d, err := time.ParseDuration(raw)
	if err != nil || d < 0 || d > time.Minute {
		return fmt.Errorf("%q is not a duration from 0 (no cache) to 1m such as 2s", raw)
	}
	c.AuthTokenCacheTTL = d
	return nil
}

func parseAuthFailureRate(raw string, c *Config) error {
	f, err := strconv.ParseFloat(raw, 64)
	if err != nil || f == 0 || f != f || f > 1e9 || f < -1e9 {
		return fmt.Errorf("%q: want failures per second (e.g. 10), or -1 for no limit", raw)
	}
	c.AuthFailureRate = f
	return nil
}

func parseAuthFailureBurst(raw string, c *Config) error {
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 {
		return fmt.Errorf("%q: want a whole number of at least 1", raw)
	}
	c.AuthFailureBurst = n
	return nil
}

func parseTrustedProxies(raw string, c *Config) error {
	c.TrustedProxies = nil
	var bad []string
	for _, f := range strings.Split(raw, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			a, aerr := netip.ParseAddr(f)
			if aerr != nil {
				bad = append(bad, strconv.Quote(f))
				continue
			}
			p = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
		}
		c.TrustedProxies = append(c.TrustedProxies, p.Masked())
	}
	if len(bad) > 0 {
		return fmt.Errorf("want CIDRs (10.0.0.0/8) or addresses, got %s", strings.Join(bad, ", "))
	}
	return nil
}

func parsePublicBaseURL(raw string, c *Config) error {
	if raw == "" {
		c.PublicBaseURL = ""
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(raw, " \t\r\n") {
		return errors.New("want an absolute http(s) URL without user, query or fragment, such as https://users.example.com")
	}
	c.PublicBaseURL = strings.TrimSuffix(raw, "/")
	return nil
}

func parseUploadsPerTenant(raw string, c *Config) error {
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 || n > 1000 {
		return fmt.Errorf("%q: want a whole number from 1 to 1000", raw)
	}
	c.ImportUploadsPerTenant = n
	return nil
}

func parseSpoolBytes(raw string, c *Config) error {
	n, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || n < 1 {
		return fmt.Errorf("%q: want a positive number of bytes", raw)
	}
	c.ImportSpoolBytesPerTenant = n
	return nil
}
