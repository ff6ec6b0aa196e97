package hris

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestClientPagesAuthAndRetries(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		switch {
		case r.Header.Get("Authorization") != "Bearer tok":
			http.Error(w, "no", http.StatusUnauthorized)
		case r.URL.Query().Get("cursor") == "" && n == 1:
			http.Error(w, "busy", http.StatusServiceUnavailable) // retried
		case r.URL.Query().Get("cursor") == "":
			_, _ = w.Write([]byte(`{"employees":[{"employee_id":" E1 ","email":"a@example.com","status":"Terminated",
				"last_modified":"2025-01-02T03:04:05Z","title":null}],"next_cursor":"p2"}`))
		case r.URL.Query().Get("cursor") == "p2" && r.URL.Query().Get("page_size") == "1":
			_, _ = w.Write([]byte(`{"employees":[{"employee_id":"E2","manager_id":"E1"}]}`))
		default:
			http.Error(w, "bad cursor", http.StatusBadRequest)
		}
	}))
	t.Cleanup(srv.Close)
	c, err := NewClient(ClientConfig{URL: srv.URL, Token: "tok", PageSize: 1, Attempts: 3, RetryDelay: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := c.Employees(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Row != 1 || rows[0].Fields["external_id"] != "E1" || rows[0].Fields["status"] != "deactivated" ||
		rows[0].SourceModifiedAt.IsZero() || len(rows[0].Fields) != 3 || rows[1].Fields["manager_external_id"] != "E1" {
		t.Fatalf("rows = %+v", rows)
	}
	bad, err := NewClient(ClientConfig{URL: srv.URL, Token: "wrong", Attempts: 5, RetryDelay: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	before := calls.Load()
	if _, err := bad.Employees(context.Background()); err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("bad token: %v", err)
	}
	if n := calls.Load() - before; n != 1 {
		t.Fatalf("a 401 was tried %d times; it is permanent", n)
	}
}

func TestSyncConfigValidate(t *testing.T) {
	t.Parallel()
	if err := (SyncConfig{TenantID: "t", Schedule: "0 2 * * *"}).Validate(); err != nil {
		t.Fatal(err)
	}
	if err := (SyncConfig{Schedule: "every now and then"}).Validate(); err == nil ||
		!strings.Contains(err.Error(), "TenantID") || !strings.Contains(err.Error(), "Schedule") {
		t.Fatalf("err = %v", err)
	}
}
