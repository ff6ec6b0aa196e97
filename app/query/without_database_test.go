package query_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/userservice/userservice/adapters/memory"
	"github.com/userservice/userservice/app/auth"
	"github.com/userservice/userservice/app/porttest"
	"github.com/userservice/userservice/app/query"
	"github.com/userservice/userservice/domain/user"
)

// The user and tenant queries on the in-memory adapters, through the contract
// suites adapters/postgres passes too.

func TestUserQueriesWithoutADatabase(t *testing.T) {
	porttest.UserStore(t, func(t *testing.T) porttest.UsersEnv {
		s := memory.NewStore()
		return porttest.UsersEnv{UnitOfWork: memory.NewUnitOfWork(s), Users: memory.NewUsers(s), Events: memory.NewUsers(s),
			Tenants: memory.NewTenants(s)}
	})
}

func TestImportQueriesWithoutADatabase(t *testing.T) {
	porttest.ImportStore(t, func(t *testing.T) porttest.ImportsEnv {
		s := memory.NewStore()
		imports := memory.NewImports(s)
		return porttest.ImportsEnv{Jobs: imports, Staging: imports, Chunks: imports, Tenants: memory.NewTenants(s),
			Users: memory.NewUsers(s)}
	})
}

func TestTenantQueriesWithoutADatabase(t *testing.T) {
	porttest.TenantStore(t, func(t *testing.T) porttest.TenantsEnv {
		s := memory.NewTenants(memory.NewStore())
		return porttest.TenantsEnv{Store: s, Tenants: s, Tokens: s, Lister: s}
	})
}

// reads is a reader that records what it was asked and answers nothing.
type reads struct {
	users   []query.ListUsers
	search  []query.SearchUsers
	fails   []query.ListImportFailures
	parked  []query.ListParkedImportRows
	tokens  map[string]query.StoredToken
	limited []int
}

func (r *reads) ListUsers(_ context.Context, q query.ListUsers) (query.UserPage, error) {
	r.users = append(r.users, q)
	return query.UserPage{}, nil
}

func (r *reads) GetUser(context.Context, string, user.ID) (user.Snapshot, error) {
	return user.Snapshot{}, user.ErrNotFound
}

func (r *reads) SearchUsers(_ context.Context, q query.SearchUsers) (query.SearchResult, error) {
	r.search = append(r.search, q)
	return query.SearchResult{}, nil
}

func (r *reads) ImportJob(_ context.Context, tenantID, jobID string) (query.ImportJob, error) {
	if jobID != "j" {
		return query.ImportJob{}, query.ErrImportNotFound
	}
	return query.ImportJob{ID: jobID, Status: "completed"}, nil
}

func (r *reads) ImportFailures(_ context.Context, q query.ListImportFailures) (query.FailurePage, error) {
	r.fails = append(r.fails, q)
	return query.FailurePage{Done: true}, nil
}

func (r *reads) ParkedImportRows(_ context.Context, q query.ListParkedImportRows) ([]query.ParkedImportRow, error) {
	r.parked = append(r.parked, q)
	return nil, nil
}

func (r *reads) TokenByHash(_ context.Context, hash []byte) (query.StoredToken, error) {
	if t, ok := r.tokens[string(hash)]; ok {
		return t, nil
	}
	return query.StoredToken{}, errors.New("connection refused")
}

func (r *reads) TokensOf(_ context.Context, _ string, limit int) ([]query.TokenInfo, error) {
	r.limited = append(r.limited, limit)
	return nil, nil
}

// TestQueriesValidateBeforeReading: a bad page size, status, cursor or filter
// is ErrInvalidQuery and never reaches the store; defaults are filled in.
func TestQueriesValidateBeforeReading(t *testing.T) {
	ctx, r := context.Background(), &reads{}
	list, _ := query.NewListUsersHandler(r)
	for _, q := range []query.ListUsers{{Limit: -1}, {Limit: query.MaxPageSize + 1}, {Status: "gone"}} {
		if _, err := list.Handle(ctx, q); !errors.Is(err, query.ErrInvalidQuery) {
			t.Errorf("ListUsers(%+v): err = %v", q, err)
		}
	}
	if _, err := list.Handle(ctx, query.ListUsers{Email: " Ada@Example.COM "}); err != nil {
		t.Fatal(err)
	}
	if len(r.users) != 1 || r.users[0].Limit != query.DefaultPageSize || r.users[0].Email != "ada@example.com" {
		t.Errorf("the store was asked %+v", r.users)
	}

	search, _ := query.NewSearchUsersHandler(r)
	for _, q := range []query.SearchUsers{{Offset: -1}, {Limit: query.MaxSearchPageSize + 1},
		{Filter: query.Compare{Attr: "password", Op: query.OpEq, Value: "x"}},
		{Filter: query.Compare{Attr: query.AttrCreated, Op: query.OpContains, Value: time.Now()}},
		{Filter: query.Compare{Attr: query.AttrEmail, Op: query.OpEq, Value: time.Now()}},
		{Filter: query.And{Left: query.Present{Attr: query.AttrTitle}}},
	} {
		if _, err := search.Handle(ctx, q); !errors.Is(err, query.ErrInvalidQuery) {
			t.Errorf("SearchUsers(%+v): err = %v", q, err)
		}
	}
	deep := query.Filter(query.Compare{Attr: query.AttrEmail, Op: query.OpEq, Value: "a@b.c"})
	for range 100 {
		deep = query.Not{Inner: deep}
	}
	if _, err := search.Handle(ctx, query.SearchUsers{Filter: deep}); !errors.Is(err, query.ErrInvalidQuery) {
		t.Errorf("a filter 100 deep: err = %v", err)
	}
	ok := query.Or{Left: query.Compare{Attr: query.AttrEmail, Op: query.OpStartsWith, Value: "a"},
		Right: query.Not{Inner: query.Compare{Attr: query.AttrUpdated, Op: query.OpGt, Value: time.Now()}}}
	if _, err := search.Handle(ctx, query.SearchUsers{Filter: ok, Limit: 10}); err != nil || len(r.search) != 1 {
		t.Errorf("a valid search: %v (store asked %d times)", err, len(r.search))
	}

	failures, _ := query.NewListImportFailuresHandler(r)
	for _, q := range []query.ListImportFailures{{Limit: -1}, {Limit: query.MaxFailuresPageSize + 1}, {AfterRow: -1}} {
		if _, err := failures.Handle(ctx, q); !errors.Is(err, query.ErrInvalidQuery) {
			t.Errorf("ListImportFailures(%+v): err = %v", q, err)
		}
	}
	if _, err := failures.Handle(ctx, query.ListImportFailures{JobID: "j"}); err != nil || r.fails[0].Limit != query.DefaultPageSize {
		t.Errorf("ListImportFailures defaults: %v, asked %+v", err, r.fails)
	}
	parked, _ := query.NewListParkedImportRowsHandler(r)
	if _, err := parked.Handle(ctx, query.ListParkedImportRows{Limit: -1}); !errors.Is(err, query.ErrInvalidQuery) {
		t.Errorf("ListParkedImportRows(limit -1): err = %v", err)
	}
	if _, err := parked.Handle(ctx, query.ListParkedImportRows{JobID: "j"}); err != nil || len(r.parked) != 1 {
		t.Errorf("ListParkedImportRows: %v", err)
	}
	get, _ := query.NewGetImportHandler(r)
	if j, err := get.Handle(ctx, query.GetImport{TenantID: "t", JobID: "j"}); err != nil || !j.Finished() {
		t.Errorf("GetImport = %+v, %v", j, err)
	}
	if _, err := get.Handle(ctx, query.GetImport{TenantID: "t", JobID: "other"}); !errors.Is(err, query.ErrImportNotFound) {
		t.Errorf("GetImport of a missing job: %v", err)
	}
	tokens, _ := query.NewListTokensHandler(r)
	if _, err := tokens.Handle(ctx, query.ListTokens{TenantID: "t"}); err != nil || r.limited[0] != query.MaxListedTokens {
		t.Errorf("ListTokens asked for %v: %v", r.limited, err)
	}
}

// TestAuthenticateRefuses: malformed, expired and revoked tokens are
// ErrUnauthenticated; a failing store is an error of ours, not a 401.
func TestAuthenticateRefuses(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	plain, hash := auth.NewToken()
	expiredPlain, expiredHash := auth.NewToken()
	past := now.Add(-time.Second)
	r := &reads{tokens: map[string]query.StoredToken{
		string(hash):        {Principal: auth.Principal{TenantID: "t", TokenID: "k", Role: auth.RoleReader}, Hash: hash},
		string(expiredHash): {Principal: auth.Principal{TenantID: "t"}, Hash: expiredHash, ExpiresAt: &past},
	}}
	authn, err := query.NewAuthenticateHandler(r, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	if p, err := authn.Handle(ctx, plain); err != nil || p.TokenID != "k" {
		t.Errorf("a good token = %+v, %v", p, err)
	}
	for name, tok := range map[string]string{"malformed": "hello", "expired": expiredPlain} {
		if _, err := authn.Handle(ctx, tok); !errors.Is(err, auth.ErrUnauthenticated) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	unknown, _ := auth.NewToken()
	if _, err := authn.Handle(ctx, unknown); err == nil || errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("a failing store: err = %v, want an error that is not a 401", err)
	}
}
