package main

import (
	"strings"
	"testing"
)

// A tenant admin cannot point the webhook inside the service's network:
// loopback, private, link-local and metadata addresses, literal or by a name
// that resolves to one, are refused when saved (422 invalid_settings) unless
// the operator allows them (WEBHOOK_ALLOW_INTERNAL, on for the other tests).
// The dial-time check is tested in adapters/notify.
func TestWebhooksCannotReachInside(t *testing.T) {
	t.Parallel()
	s := startService(t, "api", "WEBHOOK_ALLOW_INTERNAL", "false")
	tn := newTenant(t, 5)
	for _, u := range []string{
		"http://127.0.0.1:8080/hook", "http://localhost:5432/", "http://[::1]/", "http://10.1.2.3/",
		"http://192.168.0.10/", "http://172.20.0.1/", "http://169.254.169.254/latest/meta-data/",
		"http://[fd00:ec2::254]/", "http://[::ffff:127.0.0.1]/", "http://0.0.0.0:9/", "http://100.100.0.1/",
	} {
		r := s.call("PUT", "/v1/notification-settings", tn.admin, map[string]any{"webhook_url": u, "webhook_secret": "0123456789abcdef"})
		r.want(t, 422, "invalid_settings")
		if !strings.Contains(r.raw, "inside the service") {
			t.Errorf("%s: %s, want the reason", u, r.raw)
		}
	}
	s.call("PUT", "/v1/notification-settings", tn.admin, map[string]any{"webhook_url": "https://203.0.114.7/hook",
		"webhook_secret": "0123456789abcdef"}).want(t, 204, "")
}
