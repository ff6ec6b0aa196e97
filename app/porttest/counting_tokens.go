package porttest

import (
	"context"
	"sync/atomic"

	"github.com/userservice/userservice/app/query"
)

// CountingTokens wraps a token reader and counts the lookups that reach it:
// what the tests of the token cache and of the failed-authentication
// budget assert on (how many requests cost a query).
type CountingTokens struct {
	query.TokenReader
	lookups atomic.Int64
}

// TokenByHash implements query.TokenReader, counting the call.
func (c *CountingTokens) TokenByHash(ctx context.Context, hash []byte) (query.StoredToken, error) {
	c.lookups.Add(1)
	return c.TokenReader.TokenByHash(ctx, hash)
}

// Lookups is how many lookups reached the wrapped reader.
func (c *CountingTokens) Lookups() int64 { return c.lookups.Load() }
