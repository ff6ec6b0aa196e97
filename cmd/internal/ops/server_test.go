package ops_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/userservice/userservice/cmd/internal/ops"
)

// TestServerFinishesInFlightRequestsOnShutdown cancels the server's context
// while a request is being handled: the request still completes.
func TestServerFinishesInFlightRequestsOnShutdown(t *testing.T) {
	t.Parallel()
	started := make(chan struct{})
	srv, cancel, ran := runServer(t, ops.ServerConfig{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			close(started)
			time.Sleep(300 * time.Millisecond)
			_, _ = io.WriteString(w, "done")
		}),
		ShutdownTimeout: 5 * time.Second,
	})

	type result struct {
		body string
		err  error
	}
	got := make(chan result, 1)
	go func() {
		resp, err := http.Get("http://" + srv.Addr() + "/slow")
		if err != nil {
			got <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		got <- result{string(b), err}
	}()
	<-started
	cancel()

	if r := <-got; r.err != nil || r.body != "done" {
		t.Errorf("in-flight request = %q, %v; want it finished", r.body, r.err)
	}
	select {
	case err := <-ran:
		if err != nil {
			t.Errorf("Run = %v, want nil after a clean shutdown", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after shutdown")
	}
	if _, err := http.Get("http://" + srv.Addr() + "/"); err == nil {
		t.Error("server still accepts connections after shutdown")
	}
}

func TestServerShutdownTimeoutCutsOffSlowRequests(t *testing.T) {
	t.Parallel()
	started := make(chan struct{})
	release := make(chan struct{})
	defer close(release)
	srv, cancel, ran := runServer(t, ops.ServerConfig{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			close(started)
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}),
		ShutdownTimeout: 200 * time.Millisecond,
	})
	go func() {
		if resp, err := http.Get("http://" + srv.Addr() + "/stuck"); err == nil {
			resp.Body.Close()
		}
	}()
	<-started
	cancel()
	select {
	case err := <-ran:
		if err == nil || !strings.Contains(err.Error(), "1 requests cut off") {
			t.Errorf("Run = %v, want a shutdown deadline error naming the request cut off", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run ignored the shutdown timeout")
	}
}

// TestServerShutdownIgnoresUnusedConnections holds a connection that never
// sends a request (as the net/http transport's spare dials do): net/http
// waits for it up to 5 s, past the deadline, but no request was cut off,
// so the shutdown is clean.
func TestServerShutdownIgnoresUnusedConnections(t *testing.T) {
	t.Parallel()
	srv, cancel, ran := runServer(t, ops.ServerConfig{Handler: http.NotFoundHandler(), ShutdownTimeout: 200 * time.Millisecond})
	conn, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// A used connection, idle since: closed at once by the shutdown.
	if resp, err := http.Get("http://" + srv.Addr() + "/"); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
	}
	cancel()
	select {
	case err := <-ran:
		if err != nil {
			t.Errorf("Run = %v, want a clean shutdown", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run ignored the shutdown timeout")
	}
}

func TestNewServerFailsOnTakenPort(t *testing.T) {
	t.Parallel()
	first, err := ops.NewServer(ops.ServerConfig{Addr: "127.0.0.1:0", Handler: http.NotFoundHandler()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = first.Run(ctx) }()
	if _, err := ops.NewServer(ops.ServerConfig{Addr: first.Addr(), Handler: http.NotFoundHandler()}); err == nil {
		t.Error("second server on a taken port started")
	}
	if _, err := ops.NewServer(ops.ServerConfig{}); err == nil || !strings.Contains(err.Error(), "Addr") || !strings.Contains(err.Error(), "Handler") {
		t.Errorf("empty config error = %v", err)
	}
}

// TestServerCutsOffSlowHeaderClients opens a connection that sends its
// request headers a byte at a time, slower than ReadHeaderTimeout: the
// server closes it instead of holding a goroutine and a socket for it.
func TestServerCutsOffSlowHeaderClients(t *testing.T) {
	t.Parallel()
	srv, _, _ := runServer(t, ops.ServerConfig{Handler: http.NotFoundHandler(), ReadHeaderTimeout: 300 * time.Millisecond})
	conn, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	closed := make(chan time.Duration, 1)
	go func() {
		buf := make([]byte, 512)
		for {
			if _, err := conn.Read(buf); err != nil {
				closed <- time.Since(start)
				return
			}
		}
	}()
	header := "GET /slow HTTP/1.1\r\nHost: x\r\nX-Padding: " + strings.Repeat("a", 100)
	for i := 0; i < len(header); i++ {
		select {
		case took := <-closed:
			if took > 2*time.Second {
				t.Errorf("slow-header connection closed after %s, want about 300ms", took)
			}
			return
		case <-time.After(100 * time.Millisecond):
		}
		if _, err := conn.Write([]byte{header[i]}); err != nil {
			return // closed by the server
		}
	}
	t.Fatalf("the server kept a slow-header connection open for %s", time.Since(start))
}

func TestServerConfigDefaultsTimeouts(t *testing.T) {
	t.Parallel()
	if _, err := ops.NewServer(ops.ServerConfig{Addr: "127.0.0.1:0", Handler: http.NotFoundHandler(), ReadTimeout: -1}); err == nil ||
		!strings.Contains(err.Error(), "timeouts") {
		t.Errorf("negative timeout error = %v", err)
	}
}

// runServer starts a server on cfg, on a free local port: it returns the
// server, the cancel that starts its shutdown (also run at the test's end)
// and what its Run returns.
func runServer(t *testing.T, cfg ops.ServerConfig) (*ops.Server, context.CancelFunc, <-chan error) {
	t.Helper()
	cfg.Addr = "127.0.0.1:0"
	srv, err := ops.NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	ran := make(chan error, 1)
	go func() { ran <- srv.Run(ctx) }()
	return srv, cancel, ran
}
