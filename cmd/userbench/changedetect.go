package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
)

// changeResult is section 2: PATCHes that change a user against PATCHes
// that change nothing (change detection: no event, no write).
type changeResult struct {
	Users       int
	Real, NoOp  loadResult
	RealW, NoW  waitProfile
	WrongAnswer int // no-ops answered X-Changed: true, or real ones false
	Err         error
}

// changeDetection creates the clients' users, then runs real and no-op
// merge patches at the same concurrency. Every client patches only its own
// users, round robin, so no two requests race for one stream.
func (b *bench) changeDetection(ctx context.Context) (res changeResult) {
	t, err := b.newTenant(ctx, "userbench change detection")
	if err != nil {
		res.Err = err
		return res
	}
	proc, err := b.startService(ctx, serviceEnv{Roles: "api", MaxConns: b.set.MaxConns, LogBaseName: "service-api-patch"})
	if err != nil {
		res.Err = err
		return res
	}
	defer func() { _ = proc.stop() }()
	n := b.set.ChangeClients
	client := newAPIClient(proc.base, t.Token, n)
	defer client.close()

	users := make([][]string, n)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		setupErr error
	)
	for c := range n {
		wg.Go(func() {
			for range b.set.ChangeUsersPerClient {
				id, err := client.createUser(ctx, b.nextEmail())
				if err != nil {
					mu.Lock()
					setupErr = errors.Join(setupErr, err)
					mu.Unlock()
					return
				}
				users[c] = append(users[c], id)
			}
		})
	}
	wg.Wait()
	if setupErr != nil {
		res.Err = fmt.Errorf("create users to patch: %w", setupErr)
		return res
	}
	res.Users = n * b.set.ChangeUsersPerClient

	var wrong atomic.Int64
	patch := func(noop bool) func(ctx context.Context, client, seq int) error {
		return func(ctx context.Context, c, seq int) error {
			mine := users[c]
			body := []byte(`{"department":"bench"}`) // what every user already has
			if !noop {
				body = fmt.Appendf(nil, `{"department":"d-%d-%d"}`, c, seq)
			}
			changed, err := client.patchUser(ctx, mine[seq%len(mine)], body)
			if err == nil && changed == noop {
				wrong.Add(1)
			}
			return err
		}
	}
	b.log("change detection: real PATCH, %d clients", n)
	res.RealW = b.withSampling(ctx, b.set.Warmup, b.set.ChangeDuration, nil, "", func() {
		res.Real = closedLoop(ctx, n, b.set.Warmup, b.set.ChangeDuration, patch(false))
	}).waits
	// The real patches left department != "bench": set it back once, so
	// every later no-op patch really is one.
	for c := range n {
		for _, id := range users[c] {
			if _, err := client.patchUser(ctx, id, []byte(`{"department":"bench"}`)); err != nil {
				res.Err = err
				return res
			}
		}
	}
	b.log("change detection: no-op PATCH, %d clients", n)
	res.NoW = b.withSampling(ctx, b.set.Warmup, b.set.ChangeDuration, nil, "", func() {
		res.NoOp = closedLoop(ctx, n, b.set.Warmup, b.set.ChangeDuration, patch(true))
	}).waits
	res.WrongAnswer = int(wrong.Load())
	return res
}
