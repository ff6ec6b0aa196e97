package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// serviceProc is a running userservice process: the real binary, built by
// scripts/bench.sh with the profiling hook (pprofhook/hook.go) compiled in.
type serviceProc struct {
	cmd       *exec.Cmd
	base      string // http://host:port of the api role ("" without it)
	pprofAddr string
	started   time.Time
	exited    chan error
	logFile   *os.File
	stopOnce  sync.Once
	stopErr   error
}

// serviceEnv are the settings of one service process; everything else is
// the service's default.
type serviceEnv struct {
	Roles       string
	MaxConns    int // 0 = pgx's default
	Kafka       bool
	KafkaTopic  string
	RelayGroup  string
	LogBaseName string
	Env         []string // more variables, NAME=value
}

// startService starts the service and waits until it answers: /healthz for
// the api role, else the profiling endpoint (the relay starts right after).
// A port that freeAddr found free can be taken by another process before
// the service binds it (a shared machine, a test run beside the bench):
// a start that failed so is tried again on new ports, twice at most.
func (b *bench) startService(ctx context.Context, se serviceEnv) (*serviceProc, error) {
	for attempt := 1; ; attempt++ {
		p, err := b.launchService(ctx, se)
		if err == nil || attempt == 3 || !b.lostItsPort(se) {
			return p, err
		}
		b.log("%s: a port was taken before the service bound it; starting again on new ports", se.LogBaseName)
	}
}

// lostItsPort tells whether the service's log says a listen failed because
// the address was in use.
func (b *bench) lostItsPort(se serviceEnv) bool {
	log, err := os.ReadFile(b.artifact(se.LogBaseName + ".log"))
	return err == nil && bytes.Contains(log, []byte("address already in use"))
}

// launchService is one attempt of startService.
func (b *bench) launchService(ctx context.Context, se serviceEnv) (*serviceProc, error) {
	httpAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	pprofAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	brokers := ""
	if se.Kafka {
		brokers = b.opts.kafkaBrokers
	}
	logFile, err := os.Create(b.artifact(se.LogBaseName + ".log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(b.opts.serviceBin, "--roles", se.Roles)
	cmd.Env = append(os.Environ(),
		"DATABASE_URL="+b.dbURL,
		fmt.Sprintf("DATABASE_MAX_CONNS=%d", se.MaxConns),
		"KAFKA_BROKERS="+brokers,
		"KAFKA_TOPIC="+orDefault(se.KafkaTopic, "userbench.unused"),
		"RELAY_CONSUMER_GROUP="+orDefault(se.RelayGroup, "userbench-unused"),
		"HTTP_ADDR="+httpAddr,
		"LOG_LEVEL=info",
		"MIGRATE_ON_START=true",
		"SHUTDOWN_TIMEOUT=10s",
		"USERBENCH_PPROF_ADDR="+pprofAddr,
		// The benchmark measures capacity, not the per-token limiter (a few
		// tokens carry all the load); older trees ignore the variable.
		"API_RATE_LIMIT=-1",
	)
	// The run's encryption setting, unless the section sets its own (the
	// last value of a variable wins).
	cmd.Env = append(cmd.Env, b.encryptionEnv()...)
	cmd.Env = append(cmd.Env, se.Env...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start %s: %w", b.opts.serviceBin, err)
	}
	p := &serviceProc{cmd: cmd, pprofAddr: pprofAddr, started: time.Now(), exited: make(chan error, 1), logFile: logFile}
	go func() { p.exited <- cmd.Wait() }()
	probe := "http://" + pprofAddr + "/debug/pprof/"
	if hasRole(se.Roles, "api") {
		p.base = "http://" + httpAddr
		probe = p.base + "/healthz"
	}
	if err := p.waitReady(ctx, probe, 30*time.Second); err != nil {
		_ = p.stop()
		return nil, fmt.Errorf("service (%s) not ready, see %s: %w", se.Roles, logFile.Name(), err)
	}
	return p, nil
}

func (p *serviceProc) waitReady(ctx context.Context, url string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	client := &http.Client{Timeout: time.Second}
	for time.Now().Before(deadline) {
		select {
		case err := <-p.exited:
			p.exited <- err
			return fmt.Errorf("exited: %v", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
	}
	return errors.New("timed out")
}

// stop sends SIGTERM (a graceful shutdown) and kills the process if it has
// not exited within 20 s. Only the first call acts.
func (p *serviceProc) stop() error {
	p.stopOnce.Do(func() {
		defer p.logFile.Close()
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case p.stopErr = <-p.exited:
		case <-time.After(20 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.exited
			p.stopErr = errors.New("service did not stop within 20s after SIGTERM; killed")
		}
	})
	return p.stopErr
}

// freeAddr returns a loopback address with a port free right now.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func hasRole(roles, role string) bool {
	for r := range strings.SplitSeq(roles, ",") {
		if r = strings.TrimSpace(r); r == role || r == "all" {
			return true
		}
	}
	return false
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
