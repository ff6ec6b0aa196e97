package postgres_test

import (
	"testing"

	"github.com/userservice/userservice/adapters/postgres"
	"github.com/userservice/userservice/adapters/postgres/pgtest"
	"github.com/userservice/userservice/app/porttest"
)

// The same suites run against the in-memory adapters in adapters/memory:
// what the app's tests without a database rely on holds here too.

func TestUserStoreContract(t *testing.T) {
	pool := pgtest.Pool(t)
	uow, err := postgres.NewUnitOfWork(pool, nil)
	if err != nil {
		t.Fatal(err)
	}
	porttest.UserStore(t, func(t *testing.T) porttest.UsersEnv {
		return porttest.UsersEnv{UnitOfWork: uow, Users: postgres.NewUsers(pool), Events: postgres.NewUsers(pool),
			Tenants: postgres.NewTenants(pool)}
	})
}

func TestTenantStoreContract(t *testing.T) {
	pool := pgtest.Pool(t)
	porttest.TenantStore(t, func(t *testing.T) porttest.TenantsEnv {
		s := postgres.NewTenants(pool)
		return porttest.TenantsEnv{Store: s, Tenants: s, Tokens: s, Lister: s}
	})
}

func TestImportStoreContract(t *testing.T) {
	pool := pgtest.Pool(t)
	chunks, err := postgres.NewImportChunks(pool, nil)
	if err != nil {
		t.Fatal(err)
	}
	porttest.ImportStore(t, func(t *testing.T) porttest.ImportsEnv {
		return porttest.ImportsEnv{Jobs: postgres.NewImports(pool), Staging: postgres.NewImportStaging(pool), Chunks: chunks,
			Tenants: postgres.NewTenants(pool), Users: postgres.NewUsers(pool)}
	})
}
