// Package scripttest runs the repository's service scripts (scripts/*.sh)
// from tests, whichever package directory the test runs in: the helpers
// that start private PostgreSQL clusters and Kafka brokers share it.
package scripttest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
)

// Run runs scripts/NAME with bash in the repository root, with the test's
// environment plus env ("KEY=value"); its output goes to stderr.
func Run(name string, env ...string) error {
	root, err := repoRoot()
	if err != nil {
		return err
	}
	cmd := exec.Command("bash", filepath.Join(root, "scripts", name))
	cmd.Dir = root
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("scripts/%s: %w", name, err)
	}
	return nil
}

// repoRoot is the repository this package was compiled from.
func repoRoot() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", fmt.Errorf("cannot locate the scripttest package source")
	}
	return filepath.Abs(filepath.Join(filepath.Dir(file), "..", ".."))
}
