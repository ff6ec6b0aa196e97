package notify_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/userservice/userservice/adapters/notify"
	"github.com/userservice/userservice/adapters/postgres"
	"github.com/userservice/userservice/adapters/postgres/pgtest"
	"github.com/userservice/userservice/app/command"
)

const mailpitAPI = "http://127.0.0.1:8025"

// mailpit finds the SMTP test server, starting it with the project's script
// when it is not running. Without it the test fails under CI=true.
func mailpit(t *testing.T) {
	t.Helper()
	up := func() error {
		resp, err := http.Get(mailpitAPI + "/api/v1/info")
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	if up() == nil {
		return
	}
	root, _ := filepath.Abs("../..")
	out, err := exec.Command("bash", filepath.Join(root, "scripts", "mailpit-up.sh")).CombinedOutput()
	if err == nil {
		err = up()
	}
	if err != nil {
		pgtest.Unavailable(t, "mailpit", fmt.Errorf("%v: %s", err, out))
	}
}

type mailpitMessage struct {
	ID        string `json:"ID"`
	MessageID string `json:"MessageID"`
	Subject   string `json:"Subject"`
	Text      string `json:"Text"`
	To        []struct {
		Address string `json:"Address"`
	} `json:"To"`
}

// mailsAbout returns the messages whose text mentions s.
func mailsAbout(t *testing.T, s string) []mailpitMessage {
	t.Helper()
	var found struct {
		Messages []mailpitMessage `json:"messages"`
	}
	getJSON(t, mailpitAPI+"/api/v1/search?query="+url.QueryEscape(`"`+s+`"`), &found)
	out := make([]mailpitMessage, 0, len(found.Messages))
	for _, m := range found.Messages {
		var full mailpitMessage
		getJSON(t, mailpitAPI+"/api/v1/message/"+m.ID, &full)
		out = append(out, full)
	}
	return out
}

func getJSON(t *testing.T, u string, v any) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %s", u, resp.Status, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
}

// finishedJob makes a tenant with notice settings and a job that finishes
// with one created and two rejected rows; it returns tenant and job ids.
func finishedJob(t *testing.T, ctx context.Context, pool *pgxpool.Pool, settings command.SetNotificationSettings) (string, string) {
	t.Helper()
	tenant, job := uuid.NewString(), uuid.NewString()
	must(t, postgres.NewTenants(pool).CreateTenant(ctx, command.Tenant{ID: tenant, Name: t.Name(), Seats: 5}))
	settings.TenantID = tenant
	must(t, postgres.NewNotifications(pool).SetNotificationSettings(ctx, settings))
	imports := postgres.NewImports(pool)
	must(t, imports.CreateImportJob(ctx, command.NewImportJob{ID: job, TenantID: tenant, Source: command.SourceCSV, Actor: "test"}))
	outcomes := []command.RowOutcome{
		{Row: 2, Outcome: command.OutcomeCreated},
		{Row: 3, Outcome: command.OutcomeRejected, Failures: []command.Failure{{Row: 3, Field: "email", Code: "invalid_format", Message: "must be an e-mail address"}}},
		{Row: 4, Outcome: command.OutcomeRejected, Failures: []command.Failure{{Row: 4, Field: "given_name", Code: "required", Message: "is required"}}},
	}
	for _, o := range outcomes {
		o.TenantID, o.JobID = tenant, job
		_, err := imports.RecordRowOutcome(ctx, o)
		must(t, err)
	}
	must(t, imports.SealImportJob(ctx, job, 3))
	// Late redeliveries and a second seal must not queue a second notice.
	_, err := imports.RecordRowOutcome(ctx, command.RowOutcome{TenantID: tenant, JobID: job, Row: 3, Outcome: command.OutcomeRejected})
	must(t, err)
	must(t, imports.SealImportJob(ctx, job, 3))
	return tenant, job
}

func deliverAll(t *testing.T, ctx context.Context, h command.DeliverNotificationHandler) {
	t.Helper()
	for {
		ok, err := h.Handle(ctx, command.DeliverNotification{})
		if err != nil {
			t.Logf("delivery: %v", err) // other tests' notices may fail; ours are checked below
		}
		if !ok {
			return
		}
	}
}

// TestNoticeOncePerFailedJobOverRealSMTPAndSignedWebhook finishes a job with
// rejections, runs the delivery until the queue is empty (twice), and checks
// that mailpit got exactly one message per recipient with the right content
// and that the webhook got one body whose signature verifies.
func TestNoticeOncePerFailedJobOverRealSMTPAndSignedWebhook(t *testing.T) {
	// Not parallel: each delivers every due notice of its database with
	// senders of its own, which could fail the other test's notices.
	mailpit(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pool := pgtest.OwnPool(t, "notify")
	const secret = "0123456789abcdef-secret"
	var (
		mu       sync.Mutex
		received []notify.WebhookBody
		badSig   error
	)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if err := notify.VerifySignature(secret, r.Header.Get(notify.HeaderSignature), body, time.Now(), 5*time.Minute); err != nil {
			badSig = err
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var b notify.WebhookBody
		_ = json.Unmarshal(body, &b)
		if b.ID != r.Header.Get(notify.HeaderDelivery) {
			badSig = fmt.Errorf("delivery header %q, body id %q", r.Header.Get(notify.HeaderDelivery), b.ID)
		}
		received = append(received, b)
	}))
	t.Cleanup(hook.Close)
	admin := "admin-" + uuid.NewString()[:8] + "@example.com"
	tenant, job := finishedJob(t, ctx, pool, command.SetNotificationSettings{Emails: []string{admin, "second@example.com"},
		WebhookURL: hook.URL + "/hooks/imports", WebhookSecret: secret})

	smtpSender, err := notify.NewSMTP(notify.SMTPConfig{Addr: "127.0.0.1:1025", From: "userservice@example.com", TLS: notify.TLSNone})
	must(t, err)
	webhook, err := notify.NewWebhook(notify.WebhookConfig{Timeout: 5 * time.Second, AllowInternal: true})
	must(t, err)
	h, err := command.NewDeliverNotificationHandler(postgres.NewNotifications(pool),
		map[command.NoticeChannel]command.NoticeSender{command.ChannelEmail: smtpSender, command.ChannelWebhook: webhook},
		time.Now, command.DeliverNotificationConfig{})
	must(t, err)
	deliverAll(t, ctx, h)
	deliverAll(t, ctx, h)

	var statuses []string
	rows, err := pool.Query(ctx, `SELECT channel || ':' || status FROM notifications WHERE job_id = $1 ORDER BY channel`, job)
	must(t, err)
	for rows.Next() {
		var s string
		must(t, rows.Scan(&s))
		statuses = append(statuses, s)
	}
	if strings.Join(statuses, ",") != "email:sent,webhook:sent" {
		t.Fatalf("notices of the job: %v", statuses)
	}

	// One message per recipient: neither sees the other's address.
	mails := mailsAbout(t, job)
	if len(mails) != 2 {
		t.Fatalf("mailpit has %d messages about job %s, want 2 (one per recipient)", len(mails), job)
	}
	to := map[string]bool{}
	for _, m := range mails {
		if len(m.To) != 1 {
			t.Fatalf("message to %+v, want one recipient", m.To)
		}
		to[m.To[0].Address] = true
	}
	if !to[admin] || !to["second@example.com"] || mails[0].MessageID == mails[1].MessageID {
		t.Errorf("recipients %v, message ids %q %q", to, mails[0].MessageID, mails[1].MessageID)
	}
	m := mails[0]
	wantSubject := "[userservice] CSV import " + job + " finished with 2 rejected and 0 parked rows"
	if m.Subject != wantSubject || !strings.HasPrefix(m.MessageID, "notice-") {
		t.Errorf("message: subject %q, id %q", m.Subject, m.MessageID)
	}
	for _, want := range []string{"completed_with_errors", "3 in total, 1 created", "2 rejected",
		"row 3, email: must be an e-mail address (invalid_format)", "row 4, given_name: is required (required)",
		"/v1/imports/" + job + "/failures"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("message text lacks %q:\n%s", want, m.Text)
		}
	}

	mu.Lock()
	defer mu.Unlock()
	if badSig != nil {
		t.Fatalf("webhook: %v", badSig)
	}
	var ours []notify.WebhookBody
	for _, b := range received {
		if b.Job.ID == job {
			ours = append(ours, b)
		}
	}
	if len(ours) != 1 || ours[0].TenantID != tenant || ours[0].Type != "import.completed_with_errors" ||
		ours[0].Job.Rejected != 2 || len(ours[0].Failures) != 2 || ours[0].Failures[0].Row != 3 {
		t.Fatalf("webhook bodies = %+v", ours)
	}
}

func TestWebhookSignature(t *testing.T) {
	t.Parallel()
	body := []byte(`{"id":"n1"}`)
	now := time.Unix(1_700_000_000, 0)
	sig := notify.Sign("k3y-of-sixteen-chars", now, body)
	if err := notify.VerifySignature("k3y-of-sixteen-chars", sig, body, now.Add(time.Minute), 5*time.Minute); err != nil {
		t.Fatalf("own signature: %v", err)
	}
	for name, tc := range map[string]struct {
		secret, header string
		body           []byte
		at             time.Time
	}{
		"other secret":    {"other-secret-of-16", sig, body, now},
		"changed body":    {"k3y-of-sixteen-chars", sig, []byte(`{"id":"n2"}`), now},
		"too old":         {"k3y-of-sixteen-chars", sig, body, now.Add(10 * time.Minute)},
		"from the future": {"k3y-of-sixteen-chars", sig, body, now.Add(-10 * time.Minute)},
		"garbled":         {"k3y-of-sixteen-chars", "v1=abc", body, now},
		"forged digest":   {"k3y-of-sixteen-chars", strings.Split(sig, ",")[0] + ",v1=00", body, now},
	} {
		if err := notify.VerifySignature(tc.secret, tc.header, tc.body, tc.at, notify.DefaultSignatureTolerance); err == nil {
			t.Errorf("%s: verified", name)
		}
	}
	// The README's recipe, computed independently: hex(HMAC-SHA256(secret, "<t>.<body>")).
	m := hmac.New(sha256.New, []byte("k3y-of-sixteen-chars"))
	m.Write([]byte("1700000000." + string(body)))
	if want := "t=1700000000,v1=" + hex.EncodeToString(m.Sum(nil)); sig != want {
		t.Fatalf("signature %s, the documented recipe gives %s", sig, want)
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestNoticeRecipientsAreCappedAndQuotedValuesCut: settings with more than
// MaxNoticeEmails addresses are refused, and a rejection quoting a 5,000-
// character value reaches the admin's mailbox with only its start.
func TestNoticeRecipientsAreCappedAndQuotedValuesCut(t *testing.T) {
	// Not parallel: each delivers every due notice of its database with
	// senders of its own, which could fail the other test's notices.
	mailpit(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pool := pgtest.OwnPool(t, "notify")
	settings, err := command.NewSetNotificationSettingsHandler(postgres.NewNotifications(pool))
	must(t, err)
	many := make([]string, command.MaxNoticeEmails+1)
	for i := range many {
		many[i] = fmt.Sprintf("admin%d@example.com", i)
	}
	if _, err := settings.Handle(ctx, command.SetNotificationSettings{TenantID: uuid.NewString(), Emails: many}); !errors.Is(err, command.ErrInvalidSettings) {
		t.Fatalf("%d recipients: err = %v, want ErrInvalidSettings", len(many), err)
	}

	admin := "cut-" + uuid.NewString()[:8] + "@example.com"
	tenant, job := uuid.NewString(), uuid.NewString()
	must(t, postgres.NewTenants(pool).CreateTenant(ctx, command.Tenant{ID: tenant, Name: t.Name(), Seats: 5}))
	must(t, postgres.NewNotifications(pool).SetNotificationSettings(ctx, command.SetNotificationSettings{TenantID: tenant, Emails: []string{admin}}))
	imports := postgres.NewImports(pool)
	must(t, imports.CreateImportJob(ctx, command.NewImportJob{ID: job, TenantID: tenant, Source: command.SourceCSV, Actor: "test"}))
	value := strings.Repeat("V", 5000)
	_, err = imports.RecordRowOutcome(ctx, command.RowOutcome{TenantID: tenant, JobID: job, Row: 2, Outcome: command.OutcomeRejected,
		Failures: []command.Failure{{Row: 2, Field: "external_id", Code: "external_id_mismatch",
			Message: fmt.Sprintf("the e-mail address belongs to a user with external id %q", value)}}})
	must(t, err)
	must(t, imports.SealImportJob(ctx, job, 1))
	smtpSender, err := notify.NewSMTP(notify.SMTPConfig{Addr: "127.0.0.1:1025", From: "userservice@example.com", TLS: notify.TLSNone,
		LinkBase: "https://users.example.com"})
	must(t, err)
	h, err := command.NewDeliverNotificationHandler(postgres.NewNotifications(pool),
		map[command.NoticeChannel]command.NoticeSender{command.ChannelEmail: smtpSender}, time.Now, command.DeliverNotificationConfig{})
	must(t, err)
	deliverAll(t, ctx, h)
	mails := mailsAbout(t, job)
	if len(mails) != 1 {
		t.Fatalf("%d messages about job %s, want 1", len(mails), job)
	}
	text := strings.ReplaceAll(mails[0].Text, "\r\n", "\n")
	if !strings.Contains(text, `external id "`+strings.Repeat("V", 64)+`…`) || strings.Contains(text, strings.Repeat("V", 65)) {
		t.Errorf("the quoted value is not cut to 64 characters:\n%.600s", text)
	}
	if !strings.Contains(text, "GET https://users.example.com/v1/imports/"+job+"/failures") {
		t.Errorf("the failures link is not under PUBLIC_BASE_URL:\n%.600s", text)
	}
}
