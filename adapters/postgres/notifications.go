package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/userservice/userservice/app/command"
)

// Notifications is the durable queue of import notices and the tenants'
// notification settings.
type Notifications struct{ pool *pgxpool.Pool }

// NewNotifications returns the store on pool.
func NewNotifications(pool *pgxpool.Pool) *Notifications { return &Notifications{pool: pool} }

// SetNotificationSettings implements command.NotificationSettingsStore.
func (s *Notifications) SetNotificationSettings(ctx context.Context, c command.SetNotificationSettings) error {
	emails := c.Emails
	if emails == nil {
		emails = []string{}
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO notification_settings (tenant_id, emails, webhook_url, webhook_secret)
		VALUES ($1, $2, $3, $4)
		ON CONFLICT (tenant_id) DO UPDATE SET emails = excluded.emails, webhook_url = excluded.webhook_url,
			webhook_secret = excluded.webhook_secret, updated_at = now()`,
		c.TenantID, emails, c.WebhookURL, c.WebhookSecret)
	if err != nil {
		return fmt.Errorf("store notification settings: %w", err)
	}
	return nil
}

// claimSQL leases the next due notice. The lease is its own short
// transaction (never held across a send, which would hold back every
// watermill-sql reader); SKIP LOCKED lets notifiers claim side by side.
const claimSQL = `UPDATE notifications SET attempts = attempts + 1, lease_until = now() + make_interval(secs => $2)
WHERE id = (
    SELECT id FROM notifications
    WHERE status = 'pending' AND channel = ANY($1) AND next_attempt_at <= now()
      AND (lease_until IS NULL OR lease_until < now())
    ORDER BY next_attempt_at LIMIT 1 FOR UPDATE SKIP LOCKED)
RETURNING id::text, tenant_id::text, job_id::text, channel, attempts`

// ClaimNotification implements command.NotificationQueue.
func (s *Notifications) ClaimNotification(ctx context.Context, channels []command.NoticeChannel, lease time.Duration,
	maxFailures int) (command.Notice, bool, error) {
	names := make([]string, len(channels))
	for i, c := range channels {
		names[i] = string(c)
	}
	var n command.Notice
	err := s.pool.QueryRow(ctx, claimSQL, names, lease.Seconds()).Scan(&n.ID, &n.TenantID, &n.Job.ID, &n.Channel, &n.Attempt)
	if errors.Is(err, pgx.ErrNoRows) {
		return command.Notice{}, false, nil
	}
	if err != nil {
		return command.Notice{}, false, fmt.Errorf("claim notification: %w", err)
	}
	if err := s.compose(ctx, &n, maxFailures); err != nil {
		return command.Notice{}, false, err
	}
	return n, true, nil
}

// compose reads what the notice says: the settings, the job and its first
// failures, all as they are now.
func (s *Notifications) compose(ctx context.Context, n *command.Notice, maxFailures int) error {
	err := s.pool.QueryRow(ctx, `SELECT emails, webhook_url, webhook_secret FROM notification_settings WHERE tenant_id = $1`,
		n.TenantID).Scan(&n.Emails, &n.WebhookURL, &n.WebhookSecret)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("read notification settings: %w", err)
	}
	job, err := NewImports(s.pool).job(ctx, "", n.Job.ID)
	if err != nil {
		return fmt.Errorf("read job of notice: %w", err)
	}
	n.Job = command.NoticeJob{ID: job.ID, Source: job.Source, Status: job.Status, Error: job.Error,
		Created: job.Created, Updated: job.Updated, Unchanged: job.Unchanged, Skipped: job.Skipped,
		Rejected: job.Rejected, Parked: job.Parked, CreatedAt: job.CreatedAt}
	if job.Total != nil {
		n.Job.Total = *job.Total
	}
	if job.FinishedAt != nil {
		n.Job.FinishedAt = *job.FinishedAt
	}
	j := &n.Job
	all := 0
	rows, err := s.pool.Query(ctx, `SELECT row_no, field, code, message, count(*) OVER () FROM import_failures
		WHERE job_id = $1 AND severity = 'error' ORDER BY row_no, seq LIMIT $2`, j.ID, maxFailures)
	if err != nil {
		return fmt.Errorf("read failures of notice: %w", err)
	}
	var f command.Failure
	_, err = pgx.ForEachRow(rows, []any{&f.Row, &f.Field, &f.Code, &f.Message, &all}, func() error {
		n.Failures = append(n.Failures, f)
		return nil
	})
	if err != nil {
		return fmt.Errorf("read failures of notice: %w", err)
	}
	n.MoreFailures = all - len(n.Failures)
	return nil
}

// NotificationSent implements command.NotificationQueue.
func (s *Notifications) NotificationSent(ctx context.Context, id string, attempt int) error {
	_, err := s.pool.Exec(ctx, `UPDATE notifications SET status = 'sent', sent_at = now(), lease_until = NULL, last_error = ''
		WHERE id = $1 AND attempts = $2 AND status = 'pending'`, id, attempt)
	if err != nil {
		return fmt.Errorf("record notice sent: %w", err)
	}
	return nil
}

// NotificationFailed implements command.NotificationQueue.
func (s *Notifications) NotificationFailed(ctx context.Context, id string, attempt int, reason string, retryAt time.Time, dead bool) error {
	status := "pending"
	if dead {
		status = "dead"
	}
	_, err := s.pool.Exec(ctx, `UPDATE notifications SET status = $3, last_error = $4, next_attempt_at = $5, lease_until = NULL
		WHERE id = $1 AND attempts = $2 AND status = 'pending'`, id, attempt, status, reason, retryAt)
	if err != nil {
		return fmt.Errorf("record notice failure: %w", err)
	}
	return nil
}
