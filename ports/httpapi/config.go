package httpapi

import (
	"errors"

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
}

func (c *Config) setDefaults() {
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
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
	return errors.Join(errs...)
}
