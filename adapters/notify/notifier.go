package notify

import (
	"context"
	"errors"
	"time"

	"github.com/userservice/userservice/app/command"
)

// NotifierConfig configures the notifier role.
type NotifierConfig struct {
	// PollInterval is the wait after finding no due notice. Default 1s.
	PollInterval time.Duration
}

// Notifier is the notifier role: it delivers due notices until stopped.
type Notifier struct {
	deliver command.DeliverNotificationHandler
	cfg     NotifierConfig
}

// NewNotifier returns the role.
func NewNotifier(deliver command.DeliverNotificationHandler, cfg NotifierConfig) (*Notifier, error) {
	if cfg.PollInterval < 0 {
		return nil, errors.New("notifier: PollInterval must not be negative")
	}
	if cfg.PollInterval == 0 {
		cfg.PollInterval = time.Second
	}
	return &Notifier{deliver: deliver, cfg: cfg}, nil
}

// Run delivers notices one after another, waiting PollInterval whenever none
// is due, until ctx is cancelled; a notice being sent is finished first. A
// failed delivery is recorded for its next attempt by the handler and
// logged by the handler's decorator (app/decorator), so not here: once is
// enough.
func (n *Notifier) Run(ctx context.Context) error {
	for ctx.Err() == nil {
		// The error is already recorded and logged (see above); a failing
		// notice does not stop the others.
		delivered, _ := n.deliver.Handle(context.WithoutCancel(ctx), command.DeliverNotification{})
		if delivered {
			continue
		}
		select {
		case <-ctx.Done():
		case <-time.After(n.cfg.PollInterval):
		}
	}
	return nil
}
