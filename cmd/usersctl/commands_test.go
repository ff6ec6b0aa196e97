package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// The cobra tree: per-command help lists the leaf's own flags, help COMMAND
// says the same, and shell completion offers commands and flags.
func TestHelpAndCompletion(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"token", "create", "--help"}, {"help", "token", "create"}, {"token", "create", "-h"}} {
		r := usersctl(t, "postgres://nobody@127.0.0.1:1/none", args...)
		if r.code != 0 || !strings.Contains(r.stdout, "usersctl token create") ||
			!strings.Contains(r.stdout, "--tenant string") || !strings.Contains(r.stdout, "--ttl duration") {
			t.Errorf("usersctl %v: exit %d, stdout %q, stderr %q; want the command's flags", args, r.code, r.stdout, r.stderr)
		}
	}
	if r := usersctl(t, "", "import", "--help"); r.code != 0 || !strings.Contains(r.stdout, "usersctl import FILE") || !strings.Contains(r.stdout, "--wait") {
		t.Errorf("import --help: exit %d, %q", r.code, r.stdout)
	}
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"__complete", "tok"}, []string{"token"}},
		{[]string{"__complete", "imports", ""}, []string{"show", "failures", "retry"}},
		{[]string{"__complete", "token", "create", "--t"}, []string{"--tenant", "--ttl"}},
		{[]string{"__complete", "replay", "--"}, []string{"--projection", "--verify", "--batch"}},
	}
	for _, c := range cases {
		r := usersctl(t, "", c.args...)
		for _, w := range c.want {
			if r.code != 0 || !strings.Contains(r.stdout, w) {
				t.Errorf("usersctl %v: exit %d, stdout %q; want %q offered", c.args, r.code, r.stdout, w)
			}
		}
	}
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		if r := usersctl(t, "", "completion", shell); r.code != 0 || !strings.Contains(r.stdout, "usersctl") {
			t.Errorf("completion %s: exit %d, stderr %q", shell, r.code, r.stderr)
		}
	}
}

// On a terminal the bar is the library's, redrawn on one line; a new phase
// ends the line and starts a bar of its own. Elsewhere each update is a line.
func TestProgressBar(t *testing.T) {
	t.Parallel()
	var tty bytes.Buffer
	b := &progressBar{w: &tty, label: "replay users", tty: true}
	b.draw("copy", 50, 100, 1000, time.Second)
	b.draw("copy", 100, 100, 1000, 0)
	b.draw("catch-up", 3, 0, 10, 0)
	b.finish()
	out := tty.String()
	if !strings.Contains(out, "replay users copy") || !strings.Contains(out, "100%") ||
		!strings.Contains(out, "replay users catch-up") || !strings.Contains(out, "\r") {
		t.Errorf("terminal output %q: want both phases, 100%% and redraws", out)
	}
	var log bytes.Buffer
	b = &progressBar{w: &log, label: "replay users"}
	b.draw("copy", 50, 100, 1000, 2*time.Second)
	b.draw("catch-up", 3, 0, 10, 0)
	b.finish()
	want := "replay users copy      50% 50/100 events  1000 events/s  ETA 2s\nreplay users catch-up 3 events  10 events/s\n"
	if log.String() != want {
		t.Errorf("log output %q, want %q", log.String(), want)
	}
}
