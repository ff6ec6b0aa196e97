package httpapi

import "errors"

// errRateLimited is answered 429 with Retry-After (see ports/internal/ratelimit).
var errRateLimited = errors.New("too many requests for this token; retry after the Retry-After delay")

// errAuthFailures is answered 429 with Retry-After: the client address used
// its budget of failed authentications (see ports/internal/preauth).
var errAuthFailures = errors.New("too many failed authentications from this address")
