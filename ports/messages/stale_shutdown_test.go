package messages_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/pubsub/gochannel"

	"github.com/userservice/userservice/app"
	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/ports/messages"
)

// slowStaleCheck is a FailStaleImports that is still finishing when its
// context is cancelled.
type slowStaleCheck struct {
	called   chan struct{}
	finished atomic.Bool
}

func (s *slowStaleCheck) Handle(ctx context.Context, _ command.FailStaleImports) (int, error) {
	select {
	case s.called <- struct{}{}:
	default:
	}
	<-ctx.Done()
	time.Sleep(50 * time.Millisecond) // a statement being cancelled
	s.finished.Store(true)
	return 0, ctx.Err()
}

// TestRunWaitsForTheStaleJobCheck: the router's Run returns only after the
// stale-job loop has finished, so a shutdown leaves no goroutine behind that
// still writes to the database.
func TestRunWaitsForTheStaleJobCheck(t *testing.T) {
	t.Parallel()
	ps := gochannel.NewGoChannel(gochannel.Config{}, watermill.NopLogger{})
	defer ps.Close()
	check := &slowStaleCheck{called: make(chan struct{}, 1)}
	var a app.Application
	a.Commands.FailStaleImports = check
	r, err := messages.NewImportRouter(a, messages.ImportRouterConfig{
		Sources:            []messages.Source{{Name: "test", Subscriber: ps, Topic: "imports-" + t.Name(), Consumers: 1}},
		Requeue:            ps,
		StaleCheckInterval: 10 * time.Millisecond,
		CloseTimeout:       time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	select {
	case <-check.called:
	case <-time.After(10 * time.Second):
		t.Fatal("the stale-job check never ran")
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	if !check.finished.Load() {
		t.Error("Run returned while the stale-job check was still running")
	}
}
