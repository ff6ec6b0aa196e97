//go:build chaos

package chaos

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"
)

// proc is one userservice process running one role. A supervisor restarts
// it when it exits on its own (as systemd or Kubernetes would), and counts
// those exits: the suite reports them, they are not the faults it injects.
type proc struct {
	role string
	name string // the scale suite's replica name (api-1); empty in the chaos suite
	bin  string
	env  []string
	log  *os.File

	mu       sync.Mutex
	cmd      *exec.Cmd
	done     chan struct{} // closed when cmd exited
	stopping bool          // the test is killing or stopping it
	closed   bool          // stopped for good

	kills       int
	crashes     int
	crashErrors []string
}

func startProc(t *testing.T, role, bin, logPath string, env []string) *proc {
	t.Helper()
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	p := &proc{role: role, bin: bin, env: env, log: f}
	if err := p.start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.stop()
		_ = f.Close()
	})
	return p
}

// start runs the binary and a goroutine that waits for it.
func (p *proc) start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil // stopped for good meanwhile (a supervisor's late restart)
	}
	cmd := exec.Command(p.bin, "--roles", p.role)
	cmd.Env = p.env
	cmd.Stdout, cmd.Stderr = p.log, p.log
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", p.role, err)
	}
	fmt.Fprintf(p.log, "---- %s started pid %d at %s\n", p.role, cmd.Process.Pid, time.Now().UTC().Format(time.RFC3339Nano))
	done := make(chan struct{})
	p.cmd, p.done, p.stopping = cmd, done, false
	go p.supervise(cmd, done)
	return nil
}

// supervise waits for the process; an exit the test did not cause is
// counted and the role is started again after a second.
func (p *proc) supervise(cmd *exec.Cmd, done chan struct{}) {
	err := cmd.Wait()
	close(done)
	p.mu.Lock()
	unexpected := !p.stopping && !p.closed
	if unexpected {
		p.crashes++
		p.crashErrors = append(p.crashErrors, fmt.Sprintf("%s exited on its own: %v", p.role, err))
		fmt.Fprintf(p.log, "---- %s exited on its own: %v; restarting in 1s\n", p.role, err)
	}
	p.mu.Unlock()
	if unexpected {
		time.Sleep(time.Second)
		_ = p.start()
	}
}

// kill sends SIGKILL and waits until the process is gone.
func (p *proc) kill(t *testing.T) {
	t.Helper()
	p.mu.Lock()
	p.stopping = true
	cmd, done := p.cmd, p.done
	p.kills++
	p.mu.Unlock()
	fmt.Fprintf(p.log, "---- %s: SIGKILL pid %d at %s\n", p.role, cmd.Process.Pid, time.Now().UTC().Format(time.RFC3339Nano))
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-done
}

// restart starts the role again after kill.
func (p *proc) restart(t *testing.T) {
	t.Helper()
	if err := p.start(); err != nil {
		t.Fatal(err)
	}
}

// stop ends the process for good: SIGTERM, then SIGKILL after 20 s.
func (p *proc) stop() {
	p.mu.Lock()
	p.closed, p.stopping = true, true
	cmd, done := p.cmd, p.done
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-done
	}
}

// crashReport is the unexpected exits so far.
func (p *proc) crashReport() (int, []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.crashes, append([]string(nil), p.crashErrors...)
}

// waitHTTP waits until url answers 200 (the api role's /healthz).
func waitHTTP(t *testing.T, url string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not answer 200 within %s (last error %v)", url, timeout, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
