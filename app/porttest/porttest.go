// Package porttest holds one contract suite per port the application
// declares, to be run against every implementation of it: the in-memory one
// (adapters/memory, so app-layer tests can run without a database) and the
// PostgreSQL one (adapters/postgres). A behaviour the app relies on is written
// down here once; an implementation that drifts fails its suite.
//
// Each suite takes a function that returns a fresh environment for one
// subtest. Suites make their own tenants with random ids, so they run in
// parallel on a shared database and never truncate.
package porttest

import (
	"testing"

	"github.com/google/uuid"

	"github.com/userservice/userservice/domain/user"
)

func newUserID() (user.ID, error) {
	id, err := uuid.NewV7()
	return user.ID(id), err
}

func newStringID() (string, error) {
	id, err := uuid.NewV7()
	return id.String(), err
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func ptr[T any](v T) *T { return &v }
