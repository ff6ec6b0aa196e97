package httpapi

import (
	"errors"
	"net/netip"

	"go.uber.org/zap"
)

// DefaultMaxBodyBytes is the request body limit when Config.MaxBodyBytes is zero.
// The largest legitimate body (a registration) is well under 4 KiB; the margin
// is for long free-text fields, not for uploads, which have their own route.
const DefaultMaxBodyBytes int64 = 1 << 20

// Config configures the admin HTTP API.
type Config struct {
	// Logger receives one debug line per request, and an error line for every
	// 5xx answer and recovered panic. Nil means no logging (zap.NewNop).
	Logger *zap.Logger
	// MaxBodyBytes caps the size of a request body; a larger body is answered
	// 413 body_too_large without being read to the end. Zero means
	// DefaultMaxBodyBytes; negative is invalid.
	MaxBodyBytes int64
	// MaxImportBytes caps a CSV upload (POST /v1/imports); a larger file is
	// answered 413 body_too_large and nothing of it is kept. Zero means
	// DefaultMaxImportBytes; negative is invalid.
	MaxImportBytes int64
	// RateLimit is the sustained requests per second allowed per API token
	// in this process; beyond it requests are answered 429 with Retry-After.
	// Zero means DefaultRateLimit; negative disables the limit.
	RateLimit float64
	// RateBurst is how many requests a token may make at once above the
	// sustained rate. Zero means DefaultRateBurst.
	RateBurst int
	// AuthFailureRate and AuthFailureBurst are the failed authentications
	// per second (and burst) allowed per client address before its requests
	// are refused 429 without a token lookup. Zero means the preauth
	// defaults; a negative AuthFailureRate disables the budget.
	AuthFailureRate  float64
	AuthFailureBurst int
	// TrustedProxies are the load balancers whose X-Forwarded-For names the
	// client address (see preauth.Config).
	TrustedProxies []netip.Prefix
	// ImportUploadsPerTenant caps a tenant's CSV uploads in progress in
	// this process; zero means DefaultImportUploadsPerTenant.
	ImportUploadsPerTenant int
	// ImportSpoolBytesPerTenant caps the bytes a tenant's uploads in
	// progress spool together; zero means DefaultImportSpoolBytesPerTenant.
	ImportSpoolBytesPerTenant int64
}

// Defaults of the per-token rate limit: generous for an admin UI and for
// scripts, low enough that one runaway client cannot starve the rest.
const (
	DefaultRateLimit = 100.0
	DefaultRateBurst = 200
)

func (c *Config) setDefaults() {
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.MaxImportBytes == 0 {
		c.MaxImportBytes = DefaultMaxImportBytes
	}
	if c.RateLimit == 0 {
		c.RateLimit = DefaultRateLimit
	}
	if c.ImportUploadsPerTenant == 0 {
		c.ImportUploadsPerTenant = DefaultImportUploadsPerTenant
	}
	if c.ImportSpoolBytesPerTenant == 0 {
		c.ImportSpoolBytesPerTenant = DefaultImportSpoolBytesPerTenant
	}
	if c.RateBurst == 0 {
		c.RateBurst = DefaultRateBurst
	}
}

// Validate reports every invalid field at once. NewHandler fills defaults
// before validating, so a zero Config is valid there.
func (c Config) Validate() error {
	var errs []error
	if c.Logger == nil {
		errs = append(errs, errors.New("httpapi: Logger is nil"))
	}
	if c.MaxBodyBytes <= 0 {
		errs = append(errs, errors.New("httpapi: MaxBodyBytes must be positive"))
	}
	if c.MaxImportBytes <= 0 {
		errs = append(errs, errors.New("httpapi: MaxImportBytes must be positive"))
	}
	if c.ImportUploadsPerTenant < 0 || c.ImportSpoolBytesPerTenant < 0 {
		errs = append(errs, errors.New("httpapi: ImportUploadsPerTenant and ImportSpoolBytesPerTenant must not be negative"))
	}
	if c.RateLimit > 0 && c.RateBurst < 1 {
		errs = append(errs, errors.New("httpapi: RateBurst must be positive when RateLimit is"))
	}
	return errors.Join(errs...)
}
