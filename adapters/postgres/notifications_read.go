package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/userservice/userservice/app/query"
)

// NotificationSettings implements query.NotificationSettingsReader. The
// secret is not read, only whether there is one.
func (s *Notifications) NotificationSettings(ctx context.Context, tenantID string) (query.NotificationSettings, error) {
	out := query.NotificationSettings{Emails: []string{}}
	if uuid.Validate(tenantID) != nil {
		return out, nil
	}
	err := s.pool.QueryRow(ctx, `SELECT emails, webhook_url, webhook_secret <> '', updated_at
		FROM notification_settings WHERE tenant_id = $1`, tenantID).
		Scan(&out.Emails, &out.WebhookURL, &out.WebhookSecretSet, &out.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return query.NotificationSettings{Emails: []string{}}, nil
	}
	if err != nil {
		return query.NotificationSettings{}, fmt.Errorf("read notification settings: %w", err)
	}
	return out, nil
}
