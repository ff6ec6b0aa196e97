package main

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/userservice/userservice/adapters/postgres/pgtest"
)

// TestFirstRunPrintsTheConsoleAndADemoToken is `make run` on a fresh
// database: the demo tenant is created and the console URL and an admin
// token are printed, once; the token signs in to the console. A second start
// on the same database creates nothing and prints the URL only.
func TestFirstRunPrintsTheConsoleAndADemoToken(t *testing.T) {
	dbURL := freshDatabase(t)
	addr := freeAddr(t)
	start := func() string {
		var out safeBuffer
		ctx, cancel := context.WithCancel(context.Background())
		exited := make(chan int, 1)
		go func() {
			exited <- run(ctx, []string{"--roles", "api", "--demo-on-empty-database=true"}, envOf(map[string]string{
				"DATABASE_URL": dbURL, "KAFKA_BROKERS": "", "HTTP_ADDR": addr, "LOG_LEVEL": "error", "SHUTDOWN_TIMEOUT": "5s",
			}), &out)
		}()
		waitFor(t, "http://"+addr+"/healthz", exited)
		cancel()
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			t.Fatal("service did not stop")
		}
		return out.String()
	}

	first := start()
	consoleURL := "http://" + addr + "/admin/"
	m := regexp.MustCompile(`Sign-in token \(admin; shown this once\): (\S+)`).FindStringSubmatch(first)
	if !strings.Contains(first, "Admin console: "+consoleURL) || m == nil {
		t.Fatalf("first run printed:\n%s", first)
	}
	second := start()
	if !strings.Contains(second, "Admin console: "+consoleURL) || strings.Contains(second, "Sign-in token") {
		t.Fatalf("second run printed:\n%s", second)
	}

	// The printed token signs in (the service runs again for that).
	var out safeBuffer
	ctx, cancel := context.WithCancel(context.Background())
	exited := make(chan int, 1)
	go func() {
		exited <- run(ctx, []string{"--roles", "api"}, envOf(map[string]string{
			"DATABASE_URL": dbURL, "KAFKA_BROKERS": "", "HTTP_ADDR": addr, "LOG_LEVEL": "error", "SHUTDOWN_TIMEOUT": "5s",
		}), &out)
	}()
	t.Cleanup(func() { cancel(); <-exited })
	waitFor(t, "http://"+addr+"/healthz", exited)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.PostForm(consoleURL+"sign-in", url.Values{"token": {m[1]}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin/users" {
		t.Fatalf("sign-in with the printed token: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// freshDatabase creates an empty database beside the tests' one, dropped
// when the test ends.
func freshDatabase(t *testing.T) string {
	t.Helper()
	pool := pgtest.Pool(t) // the tests' database: reachable, or the test fails/skips
	name := "firstrun_" + strings.ReplaceAll(uuid.NewString()[:13], "-", "")
	ctx := context.Background()
	if _, err := pool.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = pgtest.Pool(t).Exec(context.Background(), "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
	})
	u, err := url.Parse(pgtest.URL())
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// safeBuffer is a bytes.Buffer the service and the test may share.
type safeBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *safeBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *safeBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
