package query

import "context"

// Handler is the one shape of every query handler: a query in, its result
// and an error out, decorated once at construction (app/decorator). Each use
// case names its handler type as an instance (GetUserHandler is
// Handler[GetUser, user.Snapshot]) built only by its constructor.
type Handler[Q, R any] interface {
	Handle(ctx context.Context, q Q) (R, error)
}
