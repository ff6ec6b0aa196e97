package ops

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/userservice/userservice/adapters/kafka"
)

// PostgresCheck probes the pool with a ping (a round trip on a pooled
// connection).
func PostgresCheck(pool *pgxpool.Pool) Check {
	return Check{Name: "postgres", Probe: pool.Ping}
}

// KafkaCheck probes the brokers with a metadata request.
func KafkaCheck(brokers []string) Check {
	return Check{Name: "kafka", Probe: func(ctx context.Context) error {
		return kafka.Ping(ctx, brokers)
	}}
}

// SMTPCheck dials the mail server and reads its greeting: a server that
// accepts connections but answers 4xx/5xx (overloaded, shutting down) is
// not ready either.
func SMTPCheck(addr string) Check {
	return Check{Name: "smtp", Probe: func(ctx context.Context) error {
		var d net.Dialer
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return fmt.Errorf("smtp: %w", err)
		}
		defer conn.Close()
		if dl, ok := ctx.Deadline(); ok {
			_ = conn.SetDeadline(dl)
		}
		line, err := bufio.NewReader(conn).ReadString('\n')
		if err != nil {
			return fmt.Errorf("smtp: reading the greeting: %w", err)
		}
		if !strings.HasPrefix(line, "220") {
			return fmt.Errorf("smtp: greeting %q, want 220", strings.TrimSpace(line))
		}
		_, _ = conn.Write([]byte("QUIT\r\n"))
		return nil
	}}
}

// HTTPCheck asks whether the server behind rawURL answers at all: any HTTP
// status counts (an unauthenticated HEAD may well get 401 or 405); only a
// connection, TLS or timeout error fails. The credentials are not sent, so
// the probe costs the server no work and logs no token.
func HTTPCheck(name, rawURL string) Check {
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return Check{Name: name, Probe: func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodHead, rawURL, nil)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		resp, err := client.Do(req)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		_ = resp.Body.Close()
		return nil
	}}
}
