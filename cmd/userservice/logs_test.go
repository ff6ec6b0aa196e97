package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/userservice/userservice/adapters/postgres/pgtest"
	"github.com/userservice/userservice/app/auth"
	"github.com/userservice/userservice/cmd/internal/config"
)

// TestLogsCarryNoSecretsOrPersonalData runs the api, importer and notifier
// roles with every log line captured (zaptest/observer at debug), through a
// representative flow: users created and changed over the API (also with
// errors that quote input), a CSV import with rejected rows, and its notice
// by webhook and by e-mail through SMTP with a password. No line at info or
// above may carry an e-mail address or a name of the flow; no line at any
// level may carry a token, the SMTP password or the webhook secret.
func TestLogsCarryNoSecretsOrPersonalData(t *testing.T) {
	t.Parallel()
	core, logs := observer.New(zapcore.DebugLevel)
	smtpPassword := "smtp-Pa55-" + fmt.Sprint(time.Now().UnixNano())
	var hooks atomic.Int32
	webhook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		hooks.Add(1)
	}))
	t.Cleanup(webhook.Close)
	s := startServiceLogged(t, "api,importer,notifier", zap.New(core), "SMTP_USERNAME", "smtp-user-zq",
		"SMTP_PASSWORD", smtpPassword, "API_RATE_LIMIT", "-1")
	f := newSecFixture(t, s)
	tn := f.newSecTenant("logs")
	admin := tn.token[auth.RoleAdmin]
	webhookSecret := "whsec-" + fmt.Sprint(time.Now().UnixNano())
	s.call("PUT", "/v1/notification-settings", admin, map[string]any{"emails": []string{"ops-zq@example.com"},
		"webhook_url": webhook.URL, "webhook_secret": webhookSecret}).want(t, 204, "")

	// API: create, change, and get refused with messages that could quote input.
	id := s.call("POST", "/v1/users", admin, map[string]any{"email": "zelda.quux@example.com",
		"given_name": "Zelda", "family_name": "Quuxbridge", "external_id": "ZQ-1"}).want(t, 201, "").str("id")
	s.call("PATCH", "/v1/users/"+id, admin, map[string]any{"email": "zelda.q@example.org", "family_name": "Quuxley",
		"title": "Archivist"}).want(t, 200, "")
	s.call("POST", "/v1/users", admin, map[string]any{"email": "zelda.q@example.org", "given_name": "Zelda",
		"family_name": "Twin"}).want(t, 409, "email_taken")
	s.call("PATCH", "/v1/users/"+id, admin, map[string]any{"email": "zelda-at-nowhere"}).want(t, 422, "validation_failed")
	s.call("POST", "/v1/users/"+id+"/deactivate", admin, map[string]any{"reason": "Zelda Quuxley left"}).want(t, 200, "")

	// An import with rejected rows, then its notice.
	job := s.call("POST", "/v1/imports", tn.token[auth.RoleImporter],
		"external_id,email,given_name,family_name,manager_external_id\n"+
			"ZQ-2,xavier.quill@example.com,Xavier,Quillfeather,\n"+
			"ZQ-3,not-an-address,Yolanda,Quorn,\n"+
			"ZQ-4,wanda.quist@example.com,Wan\x07da,Quist,\n"+
			"ZQ-5,vera.qent@example.com,Vera,Qent,NOBODY-ZQ\n",
		"Content-Type", "text/csv").want(t, 202, "").str("id")
	deadline := time.Now().Add(60 * time.Second)
	for !noticesTried(t, job) || hooks.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the job's notices were not attempted in 60s (webhook calls: %d)", hooks.Load())
		}
		time.Sleep(200 * time.Millisecond)
	}
	if got := s.call("GET", "/v1/imports/"+job, admin, nil).want(t, 200, ""); got.num("rejected") != 2 || got.num("warnings") != 1 {
		// Two rows refused; the row whose manager is outside the tenant is
		// imported without one and carries a warning (missing_manager=ignore).
		t.Fatalf("job: %s", got.raw)
	}

	secrets := []string{smtpPassword, webhookSecret}
	for _, tok := range tn.token {
		secrets = append(secrets, tok, strings.TrimPrefix(tok, "usr_"))
	}
	personal := []string{"zelda", "quux", "xavier", "quill", "yolanda", "quorn", "wanda", "quist", "vera.qent", "Qent",
		"ops-zq", "logs-victim", "logs-boss", "smtp-user-zq"}
	email := regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+`)
	entries := logs.All()
	if len(entries) == 0 {
		t.Fatal("no log line captured")
	}
	for _, e := range entries {
		line := renderEntry(e)
		for _, secret := range secrets {
			if strings.Contains(line, secret) {
				t.Errorf("a %s line carries a secret: %s", e.Level, line)
			}
		}
		if e.Level < zapcore.InfoLevel {
			continue
		}
		// ada@example.com is the fixed example of the validation message
		// ("must be an e-mail address such as ada@example.com"), nobody's.
		if m := email.FindString(strings.ReplaceAll(line, "ada@example.com", "")); m != "" {
			t.Errorf("a %s line carries the e-mail address %s: %s", e.Level, m, line)
		}
		for _, p := range personal {
			if strings.Contains(strings.ToLower(line), strings.ToLower(p)) {
				t.Errorf("a %s line carries personal data %q: %s", e.Level, p, line)
			}
		}
	}
	t.Logf("%d log lines checked", len(entries))
}

// renderEntry is one captured line as text: message, caller, stack and every
// field (errors included) encoded as the JSON logger would.
func renderEntry(e observer.LoggedEntry) string {
	enc := zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig())
	buf, err := enc.EncodeEntry(e.Entry, e.Context)
	if err != nil {
		return fmt.Sprintf("%s %v", e.Message, e.ContextMap())
	}
	defer buf.Free()
	return buf.String()
}

// noticesTried reports whether both notices of the job (e-mail and webhook)
// were attempted at least once.
func noticesTried(t *testing.T, jobID string) bool {
	t.Helper()
	var tried int
	err := pgtest.Pool(t).QueryRow(context.Background(),
		`SELECT count(*) FROM notifications WHERE job_id = $1 AND (attempts > 0 OR status <> 'pending')`, jobID).Scan(&tried)
	if err != nil {
		t.Fatal(err)
	}
	return tried == 2
}

// startServiceLogged runs the service's roles in-process like startService,
// but logging to log instead of stderr, and without Kafka (the flow needs
// none: imports queue on PostgreSQL).
func startServiceLogged(t *testing.T, roles string, log *zap.Logger, extra ...string) *svc {
	t.Helper()
	pgtest.Pool(t)
	addr := freeAddr(t)
	vars := map[string]string{"DATABASE_URL": pgtest.URL(), "KAFKA_BROKERS": "", "HTTP_ADDR": addr, "WEBHOOK_ALLOW_INTERNAL": "true",
		"SHUTDOWN_TIMEOUT": "5s", "ROLES": roles}
	for i := 0; i+1 < len(extra); i += 2 {
		vars[extra[i]] = extra[i+1]
	}
	cfg, err := config.Load(nil, envOf(vars), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	exited := make(chan int, 1)
	go func() {
		code := 0
		if err := serve(ctx, cfg, log); err != nil {
			t.Errorf("serve: %v", err)
			code = 1
		}
		exited <- code
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			t.Error("service did not stop")
		}
	})
	s := &svc{t: t, base: "http://" + addr}
	waitFor(t, s.base+"/healthz", exited)
	return s
}
