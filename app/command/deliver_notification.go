package command

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// NoticeChannel is a way a notice reaches a tenant's admins.
type NoticeChannel string

// The channels.
const (
	ChannelEmail   NoticeChannel = "email"
	ChannelWebhook NoticeChannel = "webhook"
)

// Notice tells a tenant's admins that an import job finished with rejected or
// parked rows, or failed.
type Notice struct {
	// ID is stable across delivery attempts, so a receiver can drop a notice
	// it got twice (a crash between sending and recording it).
	ID       string
	Channel  NoticeChannel
	Attempt  int
	TenantID string
	// Emails are the recipients (ChannelEmail).
	Emails []string
	// WebhookURL and WebhookSecret are where to post, and the key that signs
	// the body (ChannelWebhook).
	WebhookURL    string
	WebhookSecret string
	Job           NoticeJob
	// Failures are the job's first rejections; MoreFailures counts the rest.
	Failures     []Failure
	MoreFailures int
}

// NoticeJob is the job a notice is about.
type NoticeJob struct {
	ID, Source, Status, Error                              string
	Total                                                  int
	Created, Updated, Unchanged, Skipped, Rejected, Parked int
	CreatedAt, FinishedAt                                  time.Time
}

// NotificationQueue is the durable queue of notices.
type NotificationQueue interface {
	// ClaimNotification leases the next due notice of one of the channels
	// for lease (a crashed notifier's lease runs out and another takes the
	// notice over); false when none is due.
	ClaimNotification(ctx context.Context, channels []NoticeChannel, lease time.Duration, maxFailures int) (Notice, bool, error)
	// NotificationSent records a delivery; attempt fences off a notifier
	// whose lease ran out meanwhile.
	NotificationSent(ctx context.Context, id string, attempt int) error
	// NotificationFailed records a failed attempt: retry at retryAt, or
	// never again when dead.
	NotificationFailed(ctx context.Context, id string, attempt int, reason string, retryAt time.Time, dead bool) error
}

// NoticeSender delivers notices over one channel.
type NoticeSender interface {
	Send(ctx context.Context, n Notice) error
}

// DeliverNotificationConfig configures DeliverNotification.
type DeliverNotificationConfig struct {
	// Lease is how long a claimed notice is reserved for one attempt.
	// Default 2m: longer than any send may take.
	Lease time.Duration
	// MaxAttempts bounds the delivery attempts of a notice; after the last
	// it is dead (and stays visible in the table). Default 12.
	MaxAttempts int
	// RetryDelay is the wait after a first failure; it doubles up to
	// MaxRetryDelay. Defaults 30s and 1h.
	RetryDelay    time.Duration
	MaxRetryDelay time.Duration
	// MaxFailuresListed is how many rejections a notice lists. Default 20.
	MaxFailuresListed int
}

func (c *DeliverNotificationConfig) setDefaults() {
	setDefault(&c.Lease, 2*time.Minute)
	setDefault(&c.MaxAttempts, 12)
	setDefault(&c.RetryDelay, 30*time.Second)
	setDefault(&c.MaxRetryDelay, time.Hour)
	setDefault(&c.MaxFailuresListed, 20)
}

// Validate reports every invalid field at once.
func (c DeliverNotificationConfig) Validate() error {
	var errs []error
	if c.Lease <= 0 || c.RetryDelay <= 0 || c.MaxRetryDelay < c.RetryDelay {
		errs = append(errs, errors.New("config: Lease and RetryDelay must be positive, MaxRetryDelay at least RetryDelay"))
	}
	if c.MaxAttempts < 1 || c.MaxFailuresListed < 1 {
		errs = append(errs, errors.New("MaxAttempts and MaxFailuresListed must be positive"))
	}
	return errors.Join(errs...)
}

func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// DeliverNotification asks for the next due notice to be sent; the notifier
// role sends it in a loop.
type DeliverNotification struct{}

// DeliverNotificationHandler sends the next due notice.
type DeliverNotificationHandler Handler[DeliverNotification, bool]

// deliverNotificationHandler is DeliverNotificationHandler built by its constructor.
type deliverNotificationHandler struct {
	queue   NotificationQueue
	senders map[NoticeChannel]NoticeSender
	now     func() time.Time
	cfg     DeliverNotificationConfig
}

// NewDeliverNotificationHandler returns the handler; it claims only notices
// of the channels it has a sender for.
func NewDeliverNotificationHandler(queue NotificationQueue, senders map[NoticeChannel]NoticeSender,
	now func() time.Time, cfg DeliverNotificationConfig) (DeliverNotificationHandler, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("NewDeliverNotificationHandler: %w", err)
	}
	if queue == nil || now == nil || len(senders) == 0 {
		return nil, errors.New("NewDeliverNotificationHandler: nil queue or clock, or no sender")
	}
	return deliverNotificationHandler{queue: queue, senders: senders, now: now, cfg: cfg}, nil
}

// Handle claims one due notice and sends it. It reports false when none was
// due. A failed send is recorded for a later attempt (or as dead after the
// last) and returned for the caller to log.
func (h deliverNotificationHandler) Handle(ctx context.Context, _ DeliverNotification) (bool, error) {
	channels := make([]NoticeChannel, 0, len(h.senders))
	for c := range h.senders {
		channels = append(channels, c)
	}
	n, ok, err := h.queue.ClaimNotification(ctx, channels, h.cfg.Lease, h.cfg.MaxFailuresListed)
	if err != nil || !ok {
		return false, err
	}
	sendErr := h.senders[n.Channel].Send(ctx, n)
	if sendErr == nil {
		return true, h.queue.NotificationSent(ctx, n.ID, n.Attempt)
	}
	delay := min(h.cfg.RetryDelay<<min(n.Attempt-1, 20), h.cfg.MaxRetryDelay)
	dead := n.Attempt >= h.cfg.MaxAttempts
	if err := h.queue.NotificationFailed(ctx, n.ID, n.Attempt, sendErr.Error(), h.now().Add(delay), dead); err != nil {
		return true, errors.Join(fmt.Errorf("send notice %s: %w", n.ID, sendErr), err)
	}
	return true, fmt.Errorf("send notice %s (attempt %d, given up: %t): %w", n.ID, n.Attempt, dead, sendErr)
}
