package command

import "context"

// Handler handles one kind of command. Decorators (logging, metrics) wrap it
// once, at construction, so handler bodies stay free of them.
type Handler[C any] interface {
	Handle(ctx context.Context, cmd C) (Result, error)
}
