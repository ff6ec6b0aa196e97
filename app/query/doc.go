// Package query holds the application's read use cases, one per file. They
// read projections (the users read model, the event store), never streams.
package query

import (
	"github.com/userservice/userservice/app/errkind"
)

// ErrInvalidQuery is returned for a query with bad parameters (e.g. a cursor
// this service did not issue).
var ErrInvalidQuery = errkind.New(errkind.Invalid, "invalid_query", "invalid query")
