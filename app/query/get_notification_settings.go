package query

import (
	"context"
	"fmt"
	"time"
)

// GetNotificationSettings reads where a tenant's import notices go, so an
// admin sees the settings before replacing them. The webhook secret is never
// returned, only whether one is set.
type GetNotificationSettings struct {
	TenantID string
}

// NotificationSettings are a tenant's notice settings; the zero value means
// none were ever set.
type NotificationSettings struct {
	Emails           []string
	WebhookURL       string
	WebhookSecretSet bool
	UpdatedAt        *time.Time
}

// NotificationSettingsReader reads the settings; a tenant without any gets
// the zero value and no error.
type NotificationSettingsReader interface {
	NotificationSettings(ctx context.Context, tenantID string) (NotificationSettings, error)
}

// GetNotificationSettingsHandler handles GetNotificationSettings.
type GetNotificationSettingsHandler Handler[GetNotificationSettings, NotificationSettings]

// getNotificationSettingsHandler is GetNotificationSettingsHandler built by its constructor.
type getNotificationSettingsHandler struct{ settings NotificationSettingsReader }

// NewGetNotificationSettingsHandler returns the handler.
func NewGetNotificationSettingsHandler(settings NotificationSettingsReader) (GetNotificationSettingsHandler, error) {
	if settings == nil {
		return nil, fmt.Errorf("NewGetNotificationSettingsHandler: nil reader")
	}
	return getNotificationSettingsHandler{settings: settings}, nil
}

// Handle returns the settings.
func (h getNotificationSettingsHandler) Handle(ctx context.Context, q GetNotificationSettings) (NotificationSettings, error) {
	return h.settings.NotificationSettings(ctx, q.TenantID)
}
