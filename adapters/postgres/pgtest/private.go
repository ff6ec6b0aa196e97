package pgtest

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/userservice/userservice/adapters/scripttest"
	"github.com/userservice/userservice/migrations"
)

// PrivateCluster is a PostgreSQL cluster of one test package's own, started
// by scripts/postgres-up.sh with PG_INSTANCE: tests that stop and restart
// PostgreSQL (chaos) use one, so the shared cluster every other test uses
// stays up.
type PrivateCluster struct {
	name string
	port int
}

// StartPrivateCluster starts (or finds running) the private cluster NAME on
// 127.0.0.1:port, applies the migrations, and stops it when the test ends.
// The script installs what is missing, so this works on a fresh machine;
// when it fails the test fails under CI=true and is skipped otherwise.
func StartPrivateCluster(t testing.TB, name string, port int) *PrivateCluster {
	t.Helper()
	c := &PrivateCluster{name: name, port: port}
	if err := c.run("postgres-up.sh"); err != nil {
		Unavailable(t, "private PostgreSQL cluster "+name, err)
	}
	t.Cleanup(func() {
		if err := c.run("postgres-down.sh"); err != nil {
			t.Errorf("stop private cluster %s: %v", name, err)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pool, err := pgxpool.New(ctx, c.URL())
	if err != nil {
		t.Fatalf("private cluster %s: %v", name, err)
	}
	defer pool.Close()
	if _, err := migrations.Apply(ctx, pool); err != nil {
		t.Fatalf("migrate private cluster %s: %v", name, err)
	}
	return c
}

// Port is the cluster's TCP port on 127.0.0.1.
func (c *PrivateCluster) Port() int { return c.port }

// URL is the connection string of the cluster's userservice database.
func (c *PrivateCluster) URL() string { return c.URLVia("127.0.0.1:" + strconv.Itoa(c.port)) }

// URLVia is the connection string through another address, such as a proxy
// in front of the cluster.
func (c *PrivateCluster) URLVia(hostPort string) string {
	return "postgres://userservice:userservice@" + hostPort + "/userservice?sslmode=disable"
}

// Stop stops the cluster with a fast shutdown: open transactions are rolled
// back and every connection is closed.
func (c *PrivateCluster) Stop(t testing.TB) {
	t.Helper()
	if err := c.run("postgres-down.sh"); err != nil {
		t.Fatalf("stop private cluster %s: %v", c.name, err)
	}
}

// Start starts the cluster again and waits until it accepts connections.
func (c *PrivateCluster) Start(t testing.TB) {
	t.Helper()
	if err := c.run("postgres-up.sh"); err != nil {
		t.Fatalf("start private cluster %s: %v", c.name, err)
	}
}

func (c *PrivateCluster) run(script string) error {
	return scripttest.Run(script, "PG_INSTANCE="+c.name, "PGPORT="+strconv.Itoa(c.port))
}
