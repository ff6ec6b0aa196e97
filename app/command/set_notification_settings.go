package command

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/userservice/userservice/app/errkind"
	"github.com/userservice/userservice/domain/user"
)

// SetNotificationSettings says where a tenant's import notices go.
type SetNotificationSettings struct {
	TenantID string
	// Emails are the admins' addresses; empty means no e-mail.
	Emails []string
	// WebhookURL is an http(s) URL to post notices to; empty means none.
	WebhookURL string
	// WebhookSecret signs each posted body (HMAC-SHA256); required with a
	// URL, at least 16 characters.
	WebhookSecret string
}

// NotificationSettingsStore keeps the settings.
type NotificationSettingsStore interface {
	SetNotificationSettings(ctx context.Context, s SetNotificationSettings) error
}

// WebhookTargetChecker refuses webhook URLs the notifier must not post to
// (addresses inside the service's network: see adapters/notify.TargetGuard).
type WebhookTargetChecker interface {
	CheckWebhookTarget(ctx context.Context, u *url.URL) error
}

// ErrInvalidSettings is returned for unusable notification settings.
var ErrInvalidSettings = errkind.New(errkind.Validation, "invalid_settings", "invalid notification settings")

// SetNotificationSettingsHandler handles SetNotificationSettings.
type SetNotificationSettingsHandler Handler[SetNotificationSettings, Nothing]

// setNotificationSettingsHandler is SetNotificationSettingsHandler built by its constructor.
type setNotificationSettingsHandler struct {
	store   NotificationSettingsStore
	targets []WebhookTargetChecker
}

// NewSetNotificationSettingsHandler returns the handler; each of targets
// must accept a webhook URL before it is stored.
func NewSetNotificationSettingsHandler(store NotificationSettingsStore, targets ...WebhookTargetChecker) (SetNotificationSettingsHandler, error) {
	if store == nil {
		return nil, errors.New("NewSetNotificationSettingsHandler: nil store")
	}
	return setNotificationSettingsHandler{store: store, targets: targets}, nil
}

// MaxNoticeEmails caps a tenant's notice recipients: each gets a message of
// its own, so the cap bounds what one failed job makes the notifier send.
const MaxNoticeEmails = 20

// Handle validates and stores the settings, replacing the tenant's previous ones.
func (h setNotificationSettingsHandler) Handle(ctx context.Context, cmd SetNotificationSettings) (Nothing, error) {
	return Nothing{}, h.set(ctx, cmd)
}

func (h setNotificationSettingsHandler) set(ctx context.Context, cmd SetNotificationSettings) error {
	errs := normalizeNoticeEmails(&cmd)
	if cmd.WebhookURL != "" {
		errs = append(errs, h.checkWebhookURL(ctx, cmd.WebhookURL)...)
	}
	errs = append(errs, checkWebhookSecret(cmd)...)
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidSettings, err)
	}
	return h.store.SetNotificationSettings(ctx, cmd)
}

// normalizeNoticeEmails normalises the recipients in place (keeping at
// most MaxNoticeEmails) and says which are not addresses.
func normalizeNoticeEmails(cmd *SetNotificationSettings) []error {
	var errs []error
	if len(cmd.Emails) > MaxNoticeEmails {
		errs = append(errs, fmt.Errorf("emails: at most %d addresses, got %d", MaxNoticeEmails, len(cmd.Emails)))
		cmd.Emails = cmd.Emails[:MaxNoticeEmails] // the rest is not even looked at
	}
	for i, e := range cmd.Emails {
		e = user.NormalizeEmail(e)
		if a, err := mail.ParseAddress(e); err != nil || a.Address != e {
			errs = append(errs, fmt.Errorf("emails[%d] is not an e-mail address", i))
		}
		cmd.Emails[i] = e
	}
	return errs
}

// checkWebhookURL refuses a webhook URL that is not absolute http(s), or
// that a target checker refuses (the first refusal is enough).
func (h setNotificationSettingsHandler) checkWebhookURL(ctx context.Context, raw string) []error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return []error{errors.New("webhook_url must be an absolute http(s) URL")}
	}
	for _, t := range h.targets {
		if err := t.CheckWebhookTarget(ctx, u); err != nil {
			return []error{fmt.Errorf("webhook_url: %w", err)}
		}
	}
	return nil
}

// checkWebhookSecret: a webhook needs a secret (its notices are signed with
// it), and a secret sent without one is held to the same length, as the
// document says; PostgreSQL's text holds no NUL (stored as is, it was a 500
// found by the contract run).
func checkWebhookSecret(cmd SetNotificationSettings) []error {
	var errs []error
	if utf8.RuneCountInString(cmd.WebhookSecret) < 16 && (cmd.WebhookURL != "" || cmd.WebhookSecret != "") {
		errs = append(errs, errors.New("webhook_secret must have at least 16 characters"))
	}
	if strings.ContainsRune(cmd.WebhookSecret, 0) {
		errs = append(errs, errors.New("webhook_secret must not contain NUL characters"))
	}
	return errs
}
