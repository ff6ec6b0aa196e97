package httpapi

import (
	"fmt"
	"math"
	"net/url"
	"strconv"

	"github.com/userservice/userservice/app/query"
)

// boundedInt reads a query parameter that must be an integer in [lo, hi].
func boundedInt(name, val string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(val)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("%w: %s must be an integer from %d to %d", query.ErrInvalidQuery, name, lo, hi)
	}
	return n, nil
}

// intParam reads an optional integer query parameter of at least lo (and
// at most 2147483647, the documents' maximum); absent, it is 0, which the
// queries read as their default. Present but empty (`limit=`) is not a
// number: refused like any other, never read as absent. A page limit has
// lo 1: 0 would mean "the default" to the query, and the contract says
// minimum 1.
func intParam(v url.Values, name string, lo int) (int, error) {
	if !v.Has(name) {
		return 0, nil
	}
	return boundedInt(name, v.Get(name), lo, math.MaxInt32)
}
