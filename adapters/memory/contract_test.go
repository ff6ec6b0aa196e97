package memory_test

import (
	"testing"

	"github.com/userservice/userservice/adapters/memory"
	"github.com/userservice/userservice/app/porttest"
)

// The same suites run against PostgreSQL in adapters/postgres.

func TestUserStoreContract(t *testing.T) {
	porttest.UserStore(t, func(t *testing.T) porttest.UsersEnv {
		s := memory.NewStore()
		return porttest.UsersEnv{UnitOfWork: memory.NewUnitOfWork(s), Users: memory.NewUsers(s), Events: memory.NewUsers(s),
			Tenants: memory.NewTenants(s)}
	})
}

func TestTenantStoreContract(t *testing.T) {
	porttest.TenantStore(t, func(t *testing.T) porttest.TenantsEnv {
		s := memory.NewTenants(memory.NewStore())
		return porttest.TenantsEnv{Store: s, Tenants: s, Tokens: s, Lister: s}
	})
}

func TestImportStoreContract(t *testing.T) {
	porttest.ImportStore(t, func(t *testing.T) porttest.ImportsEnv {
		s := memory.NewStore()
		imports := memory.NewImports(s)
		return porttest.ImportsEnv{Jobs: imports, Staging: imports, Chunks: imports, Tenants: memory.NewTenants(s),
			Users: memory.NewUsers(s)}
	})
}
