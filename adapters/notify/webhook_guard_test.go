package notify

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/userservice/userservice/app/command"
)

func TestIsInternal(t *testing.T) {
	t.Parallel()
	for addr, want := range map[string]bool{
		"127.0.0.1": true, "127.8.9.1": true, "::1": true, "10.0.0.1": true, "172.16.5.4": true, "172.32.0.1": false,
		"192.168.1.1": true, "169.254.169.254": true, "fe80::1": true, "fd00:ec2::254": true, "0.0.0.0": true, "::": true,
		"100.64.0.1": true, "::ffff:10.0.0.1": true, "64:ff9b::7f00:1": true, "64:ff9b::808:808": false,
		"224.0.0.1": true, "255.255.255.255": true, "8.8.8.8": false, "1.1.1.1": false, "2606:4700:4700::1111": false,
	} {
		if got := IsInternal(netip.MustParseAddr(addr)); got != want {
			t.Errorf("IsInternal(%s) = %v, want %v", addr, got, want)
		}
	}
}

func TestTargetGuardResolvesNames(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	check := func(g TargetGuard, raw string) error {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		return g.CheckWebhookTarget(ctx, u)
	}
	for _, raw := range []string{"http://localhost:8025/", "http://127.0.0.1/", "https://[fe80::1]/", "http://169.254.169.254/"} {
		if err := check(TargetGuard{}, raw); !errors.Is(err, ErrInternalAddress) {
			t.Errorf("%s: err = %v, want ErrInternalAddress", raw, err)
		}
		if err := check(TargetGuard{AllowInternal: true}, raw); err != nil {
			t.Errorf("%s allowed: err = %v", raw, err)
		}
	}
	if err := check(TargetGuard{}, "https://8.8.8.8/hook"); err != nil {
		t.Errorf("public address: %v", err)
	}
}

// The send itself checks the address it dials, after resolution: a name
// that resolves inside (localhost here; a rebinding DNS name in an attack)
// is refused though nothing checked it before, and so is a redirect there.
func TestWebhookRefusesToDialInside(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	inside := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer inside.Close()
	w, err := NewWebhook(WebhookConfig{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	byName := strings.Replace(inside.URL, "127.0.0.1", "localhost", 1)
	for _, target := range []string{inside.URL, byName} {
		err := w.Send(context.Background(), command.Notice{ID: "n1", TenantID: "t", WebhookURL: target + "/hook",
			WebhookSecret: "0123456789abcdef", Job: command.NoticeJob{Status: "failed"}})
		if !errors.Is(err, ErrInternalAddress) {
			t.Errorf("%s: err = %v, want ErrInternalAddress", target, err)
		}
	}
	if hits.Load() != 0 {
		t.Errorf("the inside server got %d requests", hits.Load())
	}
	client := guardedClient(false)
	req := httptest.NewRequest(http.MethodPost, "http://169.254.169.254/latest/meta-data/", nil)
	if err := client.CheckRedirect(req, []*http.Request{httptest.NewRequest(http.MethodPost, "https://hooks.example.com/", nil)}); !errors.Is(err, ErrInternalAddress) {
		t.Errorf("redirect to metadata: err = %v, want ErrInternalAddress", err)
	}
	// Allowed by the operator, the same receiver gets the notice.
	w, _ = NewWebhook(WebhookConfig{Timeout: 5 * time.Second, AllowInternal: true})
	if err := w.Send(context.Background(), command.Notice{ID: "n2", TenantID: "t", WebhookURL: inside.URL + "/hook",
		WebhookSecret: "0123456789abcdef", Job: command.NoticeJob{Status: "failed"}}); err != nil || hits.Load() != 1 {
		t.Errorf("allowed: err = %v, hits %d", err, hits.Load())
	}
}
