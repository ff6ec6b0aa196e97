package httpapi

import (
	"net/http"
	"time"

	"github.com/userservice/userservice/app/auth"
	"github.com/userservice/userservice/app/query"
)

// settingsResource is GET /v1/notification-settings: what PUT stored,
// without the webhook secret.
type settingsResource struct {
	Emails           []string   `json:"emails"`
	WebhookURL       *string    `json:"webhook_url"`
	WebhookSecretSet bool       `json:"webhook_secret_set"`
	UpdatedAt        *time.Time `json:"updated_at"`
}

// getNotificationSettings handles GET /v1/notification-settings.
func (h *handler) getNotificationSettings(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	s, err := h.app.Queries.GetNotificationSettings.Handle(r.Context(), query.GetNotificationSettings{TenantID: p.TenantID})
	if err != nil {
		return err
	}
	if s.Emails == nil {
		s.Emails = []string{}
	}
	hdr := http.Header{}
	hdr.Set("Cache-Control", "no-store")
	h.writeJSON(w, r, http.StatusOK, settingsResource{Emails: s.Emails, WebhookURL: nullable(s.WebhookURL),
		WebhookSecretSet: s.WebhookSecretSet, UpdatedAt: s.UpdatedAt}, hdr)
	return nil
}
