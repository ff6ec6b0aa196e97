package notify

import (
	"context"
	"errors"
	"time"

	"go.uber.org/zap"

	"github.com/userservice/userservice/app/command"
)

// NotifierConfig configures the notifier role.
type NotifierConfig struct {
	// PollInterval is the wait after finding no due notice. Default 1s.
	PollInterval time.Duration
	// Logger receives a line per failed delivery. Default zap.NewNop().
	Logger *zap.Logger
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
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	return &Notifier{deliver: deliver, cfg: cfg}, nil
}

// Run delivers notices one after another, waiting PollInterval whenever none
// is due, until ctx is cancelled; a notice being sent is finished first.
func (n *Notifier) Run(ctx context.Context) error {
	for ctx.Err() == nil {
		delivered, err := n.deliver.Handle(context.WithoutCancel(ctx), command.DeliverNotification{})
		if err != nil {
			n.cfg.Logger.Warn("notice delivery failed", zap.Error(err))
		}
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
