package command

import "context"

// Handler is the one shape of every command handler: a command in, its
// result and an error out. Decorators (logging, metrics, tracing) wrap it
// once, at construction (app/decorator), so handler bodies stay free of them.
// Each use case names its handler type as an instance (RegisterUserHandler
// is Handler[RegisterUser, Result]) and builds it only through its
// constructor, so no zero-value handler can be called by mistake.
type Handler[C, R any] interface {
	Handle(ctx context.Context, cmd C) (R, error)
}

// Nothing is the result of a command that returns none besides its error.
type Nothing struct{}
