package httpapi

import "errors"

// errRateLimited is answered 429 with Retry-After (see ports/internal/ratelimit).
var errRateLimited = errors.New("too many requests for this token; retry after the Retry-After delay")
