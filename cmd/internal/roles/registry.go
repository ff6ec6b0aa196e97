package roles

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"
)

// Runner is a role's work: Run returns when ctx is cancelled (nil, after
// finishing in-flight work) or when the role cannot go on (an error, which
// stops the whole process).
type Runner interface {
	Run(ctx context.Context) error
}

// RunFunc adapts a function to Runner.
type RunFunc func(ctx context.Context) error

// Run calls f.
func (f RunFunc) Run(ctx context.Context) error { return f(ctx) }

// Registry maps role names to their runners.
type Registry struct {
	runners map[string]Runner
	log     *zap.Logger
}

// NewRegistry returns an empty registry logging to log (nil: no logging).
func NewRegistry(log *zap.Logger) *Registry {
	if log == nil {
		log = zap.NewNop()
	}
	return &Registry{runners: map[string]Runner{}, log: log}
}

// Register adds a role. Registering a name twice, or an unknown name, is an
// error: both are wiring mistakes better caught at start-up.
func (r *Registry) Register(name string, run Runner) error {
	switch {
	case !isRole(name):
		return fmt.Errorf("register role %q: not a role name", name)
	case run == nil:
		return fmt.Errorf("register role %q: nil runner", name)
	case r.runners[name] != nil:
		return fmt.Errorf("register role %q: registered twice", name)
	}
	r.runners[name] = run
	return nil
}

// Registered returns the registered role names, sorted.
func (r *Registry) Registered() []string {
	names := make([]string, 0, len(r.runners))
	for n := range r.runners {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// ErrStoppedEarly is returned when a role's Run returns nil although its
// context is still live: a role that quietly stops would leave a process that
// looks healthy but no longer does its job, so the whole process stops instead.
var ErrStoppedEarly = errors.New("role stopped before shutdown")

// Run runs the named roles concurrently until ctx is cancelled or one of them
// fails; a failure cancels the others. It returns after every role returned,
// with the first failure, or nil after a clean shutdown.
func (r *Registry) Run(ctx context.Context, names []string) error {
	var missing []string
	for _, n := range names {
		if r.runners[n] == nil {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("roles %v are not registered (registered: %v)", missing, r.Registered())
	}
	if len(names) == 0 {
		return errors.New("no role to run")
	}
	g, gctx := errgroup.WithContext(ctx)
	for _, n := range names {
		run := r.runners[n]
		g.Go(func() error {
			r.log.Info("role starting", zap.String("role", n))
			err := run.Run(WithRole(gctx, n))
			if err == nil && gctx.Err() == nil {
				err = ErrStoppedEarly
			}
			if err != nil {
				r.log.Error("role failed", zap.String("role", n), zap.Error(err))
				return fmt.Errorf("role %s: %w", n, err)
			}
			r.log.Info("role stopped", zap.String("role", n))
			return nil
		})
	}
	return g.Wait()
}

type roleKey struct{}

// WithRole marks ctx as the work of the named role (Run marks each role's
// context), so that a pool shared by several roles can tell their work
// apart (postgres.NameConnectionsByRole).
func WithRole(ctx context.Context, name string) context.Context {
	return context.WithValue(ctx, roleKey{}, name)
}

// Of returns the role whose work ctx carries; ok is false for a context no
// role's loop made (the API's requests come from the HTTP server).
func Of(ctx context.Context) (name string, ok bool) {
	name, ok = ctx.Value(roleKey{}).(string)
	return name, ok
}
