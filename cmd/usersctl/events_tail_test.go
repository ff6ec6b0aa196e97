package main

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/userservice/userservice/adapters/eventcontract/eventtest"
	"github.com/userservice/userservice/domain/user"
)

// syncBuffer is a writer the test reads while the command writes.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// tail runs events tail in the background; wait returns its error and the
// lines it printed.
func tail(t *testing.T, args ...string) (stderr *syncBuffer, wait func() ([]string, error)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), eventtest.Patience)
	var stdout syncBuffer
	stderr = &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- runEventsTail(ctx, args, &stdout, stderr) }()
	t.Cleanup(cancel)
	return stderr, func() ([]string, error) {
		err := <-done
		if ctx.Err() != nil {
			t.Fatalf("events tail %v did not finish: printed\n%s\nstderr %s", args, stdout.String(), stderr.String())
		}
		return strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n"), err
	}
}

var lineShape = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (user\.[a-z_]+\.v\d+) tenant=(\S+) subject=(\S+) v=(\d+) id=(\S+)( .*)?$`)

func TestEventsTailFromBeginningWithFilters(t *testing.T) {
	t.Parallel()
	env := eventtest.New(t)
	first, second := env.Lifecycle(0), env.Lifecycle(1)
	env.Records(eventtest.Patience) // all on the topic
	ids := env.EventIDs()
	base := []string{"--brokers", strings.Join(env.Brokers, ","), "--topic", env.Topic, "--from-beginning", "--tenant", env.Tenant}

	_, wait := tail(t, append(base, "--max", fmt.Sprint(len(ids)))...)
	lines, err := wait()
	if err != nil {
		t.Fatal(err)
	}
	printed := map[string]int{}
	lastVersion := map[string]int{}
	for _, l := range lines {
		m := lineShape.FindStringSubmatch(l)
		if m == nil {
			t.Errorf("line not in the documented shape: %q", l)
			continue
		}
		if m[2] != env.Tenant {
			t.Errorf("--tenant let another tenant through: %q", l)
		}
		printed[m[5]]++
		var v int
		fmt.Sscan(m[4], &v)
		if v <= lastVersion[m[3]] {
			t.Errorf("user %s: v%d printed after v%d", m[3], v, lastVersion[m[3]])
		}
		lastVersion[m[3]] = v
	}
	for _, id := range ids {
		if printed[id] != 1 {
			t.Errorf("event %s printed %d times", id, printed[id])
		}
	}
	out := strings.Join(lines, "\n")
	for _, want := range []string{
		user.TypeRegistered + " tenant=" + env.Tenant + " subject=" + first.String() + " v=1 ",
		`name="Grace Hopper 0" department="Navy"`,
		`department="Navy"->"Computing" title=""->"Rear Admiral"`,
		user.TypeDeactivated + " tenant=" + env.Tenant + " subject=" + second.String() + " v=4 ",
		`cause=requested reason="retired"`,
		" v=8 id=",
		"cause=status_changed",
		user.TypeReactivated + " tenant=" + env.Tenant + " subject=" + second.String() + " v=5 ",
		"email=grace1-",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	// --type by name matches any version; two e-mail changes per user.
	_, wait = tail(t, append(base, "--type", "user.email_changed", "--max", "4")...)
	lines, err = wait()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lines {
		if !strings.Contains(l, " "+user.TypeEmailChanged+" ") || !regexp.MustCompile(` email=\S+@\S+->\S+@\S+$`).MatchString(l) {
			t.Errorf("--type user.email_changed printed %q", l)
		}
	}
}

func TestEventsTailFollowsNewEvents(t *testing.T) {
	t.Parallel()
	env := eventtest.New(t)
	old := env.Register("before-"+env.Tenant[:8]+"@example.com", user.Profile{GivenName: "Old", FamilyName: "Timer"})
	env.Records(eventtest.Patience) // on the topic before the tail starts: not printed

	stderr, wait := tail(t, "--brokers", strings.Join(env.Brokers, ","), "--topic", env.Topic,
		"--tenant", env.Tenant, "--type", "user.deactivated", "--max", "3")
	for deadline := time.Now().Add(30 * time.Second); !strings.Contains(stderr.String(), "tailing "); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("events tail never started: %s", stderr.String())
		}
	}
	env.Deactivate(old, "moved on")
	fresh := env.Lifecycle(0) // deactivations at v4 and v8
	lines, err := wait()
	if err != nil {
		t.Fatal(err)
	}
	// Two users, so two partitions: their lines may come in either order,
	// so the tail waits for all three deactivations (--max 3), not the first two.
	want := []string{"subject=" + old.String() + ` v=2 id=\S+ cause=requested reason="moved on"$`,
		"subject=" + fresh.String() + ` v=4 id=\S+ cause=requested reason="retired"$`,
		"subject=" + fresh.String() + ` v=8 id=\S+ cause=status_changed$`}
	joined := strings.Join(lines, "\n")
	for _, w := range want {
		if !regexp.MustCompile(`(?m)` + w).MatchString(joined) {
			t.Errorf("no live line matches %q:\n%s", w, joined)
		}
	}
	if len(lines) != 3 {
		t.Errorf("printed %d lines, want 3 (--max 3):\n%s", len(lines), joined)
	}
}

func TestEventsTailUsageAndConnectionErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, args := range [][]string{
		{"--max", "-1"},
		{"--brokers", " , "},
		{"--topic", ""},
		{"--no-such-flag"},
		{"extra"},
	} {
		var uerr usageErr
		if err := runEventsTail(ctx, args, &strings.Builder{}, &strings.Builder{}); !errors.As(err, &uerr) {
			t.Errorf("events tail %q = %v, want a usage error", args, err)
		}
	}
	start := time.Now()
	err := runEventsTail(ctx, []string{"--brokers", "127.0.0.1:1"}, &strings.Builder{}, &strings.Builder{})
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Errorf("unreachable broker: %v", err)
	}
	if took := time.Since(start); took > 15*time.Second {
		t.Errorf("unreachable broker took %s to report", took)
	}
}
