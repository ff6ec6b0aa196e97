package notify_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/userservice/userservice/adapters/notify"
	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/app/decorator"
)

// failingDelivery fails one delivery, then stops the notifier.
type failingDelivery struct {
	calls  atomic.Int32
	cancel context.CancelFunc
}

func (f *failingDelivery) Handle(context.Context, command.DeliverNotification) (bool, error) {
	if f.calls.Add(1) > 1 {
		f.cancel()
		return false, nil
	}
	return true, errors.New("send notice n-1 (attempt 1, given up: false): webhook: 503")
}

// TestFailedNoticeLoggedOnce: the decorator logs a failed delivery; the
// notifier's loop does not log it a second time.
func TestFailedNoticeLoggedOnce(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h := &failingDelivery{cancel: cancel}
	deliver := decorator.Command[command.DeliverNotification, bool](h, "DeliverNotification", decorator.Hooks{Log: zap.New(core)})
	n, err := notify.NewNotifier(deliver, notify.NotifierConfig{PollInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Run(ctx); err != nil {
		t.Fatal(err)
	}
	failed := logs.FilterField(zap.String("command", "DeliverNotification")).FilterMessage("command failed").Len()
	if failed != 1 || logs.FilterLevelExact(zapcore.WarnLevel).Len() != 0 {
		t.Errorf("a failed notice logged %d times as failed, warnings %v; want once, none", failed, logs.FilterLevelExact(zapcore.WarnLevel).All())
	}
}
