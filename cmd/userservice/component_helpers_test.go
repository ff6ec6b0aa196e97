package main

import (
	"bytes"
	"context"
	"encoding/json"
	"github.com/jackc/pgx/v5/pgxpool"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/userservice/userservice/adapters/kafka/kafkatest"
	"github.com/userservice/userservice/adapters/postgres/pgtest"
	"github.com/userservice/userservice/adapters/relay/relaytest"
	"github.com/userservice/userservice/app/auth"
	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/cmd/internal/service"
	"github.com/userservice/userservice/ports/httpapi"
	"github.com/userservice/userservice/ports/httpapi/openapitest"
)

// svc is the whole userservice process started in-process on a free port,
// against the real PostgreSQL and Kafka, publishing to the test's own topic.
type svc struct {
	t       *testing.T
	base    string
	topic   string
	brokers []string
}

// startService runs the roles; extra alternates further variable names and values.
func startService(t *testing.T, roles string, extra ...string) *svc {
	t.Helper()
	return startServiceOn(t, kafkatest.Brokers(t), roles, extra...)
}

// startServiceOn is startService on the given Kafka brokers (a test's
// private broker, for one it stops and starts).
func startServiceOn(t *testing.T, brokers []string, roles string, extra ...string) *svc {
	t.Helper()
	pool := pgtest.Pool(t)
	topic := kafkatest.Topic(t, brokers, 4)
	group := kafkatest.UniqueName(t, "relay")
	relaytest.StartGroupAtEnd(t, pool, group)
	addr := freeAddr(t)
	vars := map[string]string{
		"DATABASE_URL": pgtest.URL(), "KAFKA_BROKERS": strings.Join(brokers, ","), "KAFKA_TOPIC": topic,
		"RELAY_CONSUMER_GROUP": group, "HTTP_ADDR": addr, "LOG_LEVEL": "error", "SHUTDOWN_TIMEOUT": "5s",
		// Tests' webhook receivers are local (httptest, 127.0.0.1:9 that reaches nothing); the
		// refusal of such addresses is tested with this off (TestWebhooksCannotReachInside).
		"WEBHOOK_ALLOW_INTERNAL": "true",
	}
	for i := 0; i+1 < len(extra); i += 2 {
		vars[extra[i]] = extra[i+1]
	}
	ctx, cancel := context.WithCancel(context.Background())
	exited := make(chan int, 1)
	go func() { exited <- run(ctx, []string{"--roles", roles}, envOf(vars), io.Discard) }()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-exited:
			if code != 0 {
				t.Errorf("service exit code %d", code)
			}
		case <-time.After(15 * time.Second):
			t.Error("service did not stop")
		}
	})
	s := &svc{t: t, base: "http://" + addr, topic: topic, brokers: brokers}
	waitFor(t, s.base+"/healthz", exited)
	return s
}

// tenant is a fresh tenant with one token per role.
type tenant struct {
	id                      string
	admin, reader, importer string
}

func newTenant(t *testing.T, seats int) tenant {
	t.Helper()
	return newTenantOn(t, pgtest.Pool(t), seats)
}

// newTenantOn is newTenant on another database than the tests' shared one
// (a test's own, see freshDatabase).
func newTenantOn(t *testing.T, pool *pgxpool.Pool, seats int) tenant {
	t.Helper()
	ctx := context.Background()
	application, err := service.BuildApplication(pool, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	tn, err := application.Commands.CreateTenant.Handle(ctx, command.CreateTenant{Name: "component " + t.Name(), Seats: seats})
	if err != nil {
		t.Fatal(err)
	}
	token := func(r auth.Role) string {
		tok, err := application.Commands.IssueToken.Handle(ctx, command.IssueToken{TenantID: tn.ID, Role: r})
		if err != nil {
			t.Fatal(err)
		}
		return tok.Plaintext
	}
	return tenant{id: tn.ID, admin: token(auth.RoleAdmin), reader: token(auth.RoleReader), importer: token(auth.RoleImporter)}
}

// response is a decoded HTTP answer.
type response struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func (r response) str(key string) string { s, _ := r.body[key].(string); return s }

func (r response) num(key string) int { f, _ := r.body[key].(float64); return int(f) }

// call sends one request; body may be nil, a string (sent as is) or a value
// (sent as JSON). headers alternate names and values.
func (s *svc) call(method, path, token string, body any, headers ...string) response {
	s.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			s.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, s.base+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	// Every answer is checked against openapi.yaml: one outside it fails the test.
	client := &http.Client{Transport: openapitest.New(s.t, httpapi.OpenAPIDocument()).Transport(s.t, nil)}
	resp, err := client.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := response{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	_ = json.Unmarshal(raw, &r.body)
	return r
}

// want fails the test unless the response has the status and, for errors,
// the problem code.
func (r response) want(t *testing.T, status int, code string) response {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.raw)
	}
	if code != "" {
		if r.str("code") != code || !strings.HasPrefix(r.header.Get("Content-Type"), "application/problem+json") {
			t.Fatalf("problem code %q (%s), want %q: %s", r.str("code"), r.header.Get("Content-Type"), code, r.raw)
		}
	}
	return r
}

func newUser(email string) map[string]any {
	return map[string]any{"email": email, "given_name": "Grace", "family_name": "Hopper"}
}
