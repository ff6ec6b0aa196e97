package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/userservice/userservice/app/command"
)

// Webhook headers.
const (
	// HeaderSignature is "t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">",
	// keyed with the tenant's webhook secret. The time stops replays.
	HeaderSignature = "X-Userservice-Signature"
	// HeaderDelivery is the notice id, the same on every attempt: receivers
	// drop a notice they have seen.
	HeaderDelivery = "X-Userservice-Delivery"
)

// WebhookConfig configures the webhook sender.
type WebhookConfig struct {
	// Timeout bounds one delivery. Default 10s.
	Timeout time.Duration
	// Client sends the requests. Default one that refuses to dial addresses
	// inside the service's network, after resolution (see guardedClient).
	Client *http.Client
	// AllowInternal lets the default client reach loopback, private and
	// link-local addresses (WEBHOOK_ALLOW_INTERNAL): tests, local receivers.
	AllowInternal bool
}

// Webhook posts notices as signed JSON: the command.NoticeSender of
// ChannelWebhook. A 2xx answer is a delivery; anything else is retried.
type Webhook struct {
	cfg WebhookConfig
	now func() time.Time
}

// NewWebhook returns the sender.
func NewWebhook(cfg WebhookConfig) (*Webhook, error) {
	if cfg.Timeout < 0 {
		return nil, errors.New("webhook: Timeout must not be negative")
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Client == nil {
		cfg.Client = guardedClient(cfg.AllowInternal)
	}
	return &Webhook{cfg: cfg, now: time.Now}, nil
}

// WebhookBody is the JSON a webhook receives.
type WebhookBody struct {
	ID           string            `json:"id"`
	Type         string            `json:"type"`
	TenantID     string            `json:"tenant_id"`
	Job          webhookJob        `json:"job"`
	Failures     []command.Failure `json:"failures"`
	MoreFailures int               `json:"more_failures"`
	Summary      string            `json:"summary"`
}

type webhookJob struct {
	ID        string `json:"id"`
	Source    string `json:"source"`
	Status    string `json:"status"`
	Error     string `json:"error,omitempty"`
	Total     int    `json:"total"`
	Created   int    `json:"created"`
	Updated   int    `json:"updated"`
	Unchanged int    `json:"unchanged"`
	Skipped   int    `json:"skipped"`
	Rejected  int    `json:"rejected"`
	Parked    int    `json:"parked"`
}

// Send implements command.NoticeSender.
func (w *Webhook) Send(ctx context.Context, n command.Notice) error {
	if n.WebhookURL == "" || n.WebhookSecret == "" {
		return errors.New("webhook: the tenant has no webhook URL and secret")
	}
	j := n.Job
	typ := "import.completed_with_errors"
	if j.Status == "failed" {
		typ = "import.failed"
	}
	failures := make([]command.Failure, len(n.Failures))
	for i, f := range n.Failures {
		f.Field, f.Code, f.Message = clip(f.Field), clip(f.Code), clip(f.Message)
		failures[i] = f
	}
	body, err := json.Marshal(WebhookBody{ID: n.ID, Type: typ, TenantID: n.TenantID, Failures: failures,
		MoreFailures: n.MoreFailures, Summary: subject(n), Job: webhookJob{ID: j.ID, Source: j.Source, Status: j.Status,
			Error: clip(j.Error), Total: j.Total, Created: j.Created, Updated: j.Updated, Unchanged: j.Unchanged,
			Skipped: j.Skipped, Rejected: j.Rejected, Parked: j.Parked}})
	if err != nil {
		return fmt.Errorf("webhook: encode: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, w.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.WebhookURL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "userservice-notifier")
	req.Header.Set(HeaderDelivery, n.ID)
	req.Header.Set(HeaderSignature, Sign(n.WebhookSecret, w.now(), body))
	resp, err := w.cfg.Client.Do(req)
	if err != nil {
		return fmt.Errorf("webhook: post: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("webhook: %s answered %s", req.URL.Host, resp.Status)
	}
	return nil
}

// Sign returns the signature header value of body at time t.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + mac(secret, ts, body)
}

func mac(secret, ts string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "."))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// DefaultSignatureTolerance is the replay window receivers should use: a
// signature older (or newer) than this is refused. Every delivery attempt is
// signed afresh, so a retry hours later still verifies; a recorded request
// replayed later does not, and within the window the delivery id (the same on
// every attempt) lets the receiver drop a notice it has already seen.
const DefaultSignatureTolerance = 5 * time.Minute

// ErrBadSignature is returned by VerifySignature for a body that was not
// signed with the secret within the tolerance.
var ErrBadSignature = errors.New("webhook signature does not verify")

// VerifySignature checks a received body against its signature header: the
// receiver's side, in Go. tolerance bounds the age of the signature.
func VerifySignature(secret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	var ts, sig string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sig = v
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || sig == "" {
		return fmt.Errorf("%w: malformed header", ErrBadSignature)
	}
	if age := now.Sub(time.Unix(sec, 0)); age > tolerance || age < -tolerance {
		return fmt.Errorf("%w: signed %s ago", ErrBadSignature, age.Round(time.Second))
	}
	if !hmac.Equal([]byte(sig), []byte(mac(secret, ts, body))) {
		return ErrBadSignature
	}
	return nil
}
