package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/userservice/userservice/app/auth"
	"github.com/userservice/userservice/domain/user"
)

func TestWriteProblem(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		wantAuth   string
		wantErrors int
	}{
		{name: "validation lists fields", err: &user.ValidationError{Fields: []user.FieldError{
			{Field: "email", Code: "required", Reason: "is required"},
			{Field: "locale", Code: "invalid_format", Reason: "must be a BCP 47 language tag"},
		}}, wantErrors: 2},
		{name: "401 challenges", err: auth.ErrUnauthenticated, wantAuth: "Bearer"},
		{name: "conflict", err: user.ErrEmailTaken},
		{name: "internal", err: errors.New("boom")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/v1/users?x=1", nil)
			w := httptest.NewRecorder()
			want := classify(tt.err)
			writeProblem(w, r, want)

			if w.Code != want.Status {
				t.Errorf("status = %d, want %d", w.Code, want.Status)
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("Content-Type = %q", ct)
			}
			if got := w.Header().Get("WWW-Authenticate"); got != tt.wantAuth {
				t.Errorf("WWW-Authenticate = %q, want %q", got, tt.wantAuth)
			}
			var body map[string]any
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatalf("body %s: %v", w.Body, err)
			}
			for k, v := range map[string]any{
				"type": want.Type, "title": want.Title, "status": float64(want.Status),
				"detail": want.Detail, "code": want.Code, "instance": "/v1/users",
			} {
				if body[k] != v {
					t.Errorf("%s = %v, want %v", k, body[k], v)
				}
			}
			errs, _ := body["errors"].([]any)
			if len(errs) != tt.wantErrors {
				t.Fatalf("errors = %v, want %d entries", body["errors"], tt.wantErrors)
			}
			if tt.wantErrors > 0 {
				first, _ := errs[0].(map[string]any)
				if first["field"] != "email" || first["code"] != "required" || first["reason"] != "is required" {
					t.Errorf("errors[0] = %v", first)
				}
			}
		})
	}
}

func TestFailLogsOnlyServerErrors(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	h := &handler{log: zap.New(core)}
	ctx := context.WithValue(context.Background(), requestInfoKey{}, &requestInfo{correlationID: "corr-1"})

	r := httptest.NewRequest(http.MethodGet, "/v1/users/x", nil).WithContext(ctx)
	h.fail(httptest.NewRecorder(), r, user.ErrNotFound)
	if logs.Len() != 0 {
		t.Fatalf("a 404 was logged: %v", logs.All())
	}

	w := httptest.NewRecorder()
	h.fail(w, r, fmt.Errorf("query users: %w", errors.New("secret connection string")))
	if w.Code != http.StatusInternalServerError || strings.Contains(w.Body.String(), "secret") {
		t.Fatalf("got %d %s", w.Code, w.Body)
	}
	entries := logs.All()
	if len(entries) != 1 || entries[0].Level != zapcore.ErrorLevel {
		t.Fatalf("logs = %v, want one error line", entries)
	}
	fields := entries[0].ContextMap()
	if fields["correlation_id"] != "corr-1" || !strings.Contains(fmt.Sprint(fields["error"]), "secret") {
		t.Fatalf("log fields = %v", fields)
	}
}
