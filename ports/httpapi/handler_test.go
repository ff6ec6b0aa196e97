package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/uuid"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/userservice/userservice/app"
	"github.com/userservice/userservice/app/command"
)

func nopLogger() *zap.Logger { return zap.NewNop() }

// unreachable is a command handler for routing tests that must never get as
// far as a use case.
type unreachable[C any] struct{ t *testing.T }

func (u unreachable[C]) Handle(context.Context, C) (command.Result, error) {
	u.t.Error("a command ran where none should")
	return command.Result{}, nil
}

func routingApp(t *testing.T) app.Application {
	return app.Application{Commands: app.Commands{
		RegisterUser:   unreachable[command.RegisterUser]{t},
		UpdateUser:     unreachable[command.UpdateUser]{t},
		DeactivateUser: unreachable[command.DeactivateUser]{t},
		ReactivateUser: unreachable[command.ReactivateUser]{t},
		DeleteUser:     unreachable[command.DeleteUser]{t},
	}}
}

func TestNewHandlerConfig(t *testing.T) {
	if _, err := NewHandler(routingApp(t), Config{}); err != nil {
		t.Fatalf("zero Config: %v", err)
	}
	_, err := NewHandler(app.Application{}, Config{MaxBodyBytes: -1})
	if err == nil {
		t.Fatal("want an error")
	}
	for _, want := range []string{"MaxBodyBytes", "RegisterUser", "UpdateUser", "DeactivateUser", "ReactivateUser"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
	cfg := Config{}
	cfg.setDefaults()
	if cfg.MaxBodyBytes != DefaultMaxBodyBytes || cfg.Logger == nil || cfg.Validate() != nil {
		t.Fatalf("defaults = %+v", cfg)
	}
}

// TestRoutingWithoutUseCases covers what the port answers on its own, before
// any use case runs: the public document, authentication, unknown routes.
func TestRoutingWithoutUseCases(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	h, err := checkedHandler(t, routingApp(t), Config{Logger: zap.New(core)})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, method, path, auth string
		status                   int
		code                     string
		allow                    string
		route                    string
	}{
		{name: "openapi needs no token", method: http.MethodGet, path: "/openapi.yaml", status: 200, route: "/openapi.yaml"},
		{name: "no token", method: http.MethodGet, path: "/v1/users", status: 401, code: codeUnauthorized, route: "/v1/users"},
		{name: "no token on a write", method: http.MethodPost, path: "/v1/users", status: 401, code: codeUnauthorized},
		{name: "not a bearer token", method: http.MethodGet, path: "/v1/users/x", auth: "Basic YTpi", status: 401, code: codeUnauthorized, route: "/v1/users/{id}"},
		{name: "empty bearer token", method: http.MethodGet, path: "/v1/users/x/events", auth: "Bearer ", status: 401, code: codeUnauthorized},
		{name: "unknown route", method: http.MethodGet, path: "/v2/users", status: 404, code: codeNotFound, route: "unmatched"},
		{name: "wrong method", method: http.MethodPut, path: "/v1/users/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", status: 405, code: codeMethodNotAllowed, allow: "GET, PATCH, DELETE"},
		{name: "wrong method on the collection", method: http.MethodPut, path: "/v1/users", status: 405, code: codeMethodNotAllowed, allow: "POST, GET"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logs.TakeAll()
			r := httptest.NewRequest(tt.method, tt.path, nil)
			if tt.auth != "" {
				r.Header.Set("Authorization", tt.auth)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)

			if w.Code != tt.status {
				t.Fatalf("status = %d, want %d: %s", w.Code, tt.status, w.Body)
			}
			if _, err := uuid.Parse(w.Header().Get(headerCorrelationID)); err != nil {
				t.Errorf("X-Correlation-ID = %q, want a generated UUID", w.Header().Get(headerCorrelationID))
			}
			if got := w.Header().Get("Allow"); got != tt.allow {
				t.Errorf("Allow = %q, want %q", got, tt.allow)
			}
			if tt.code != "" {
				var p problem
				if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || p.Code != tt.code || p.Instance != tt.path {
					t.Errorf("body = %s, want code %s at %s", w.Body, tt.code, tt.path)
				}
				if w.Header().Get("Content-Type") != "application/problem+json" {
					t.Errorf("Content-Type = %q", w.Header().Get("Content-Type"))
				}
			}
			if (tt.status == 401) != (w.Header().Get("WWW-Authenticate") == "Bearer") {
				t.Errorf("WWW-Authenticate = %q", w.Header().Get("WWW-Authenticate"))
			}
			entries := logs.FilterMessage("http request").All()
			if len(entries) != 1 {
				t.Fatalf("request log lines = %d, want 1", len(entries))
			}
			fields := entries[0].ContextMap()
			if fields["status"] != int64(tt.status) || fields["method"] != tt.method {
				t.Errorf("log fields = %v", fields)
			}
			if tt.route != "" && fields["route"] != tt.route {
				t.Errorf("logged route = %v, want %s", fields["route"], tt.route)
			}
		})
	}
}

func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	h, err := checkedHandler(t, routingApp(t), Config{})
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/openapi.yaml", nil))
	if w.Header().Get("Content-Type") != "application/yaml" || !strings.HasPrefix(w.Body.String(), "openapi: 3.0") {
		t.Fatalf("got %s: %.40s", w.Header().Get("Content-Type"), w.Body)
	}
	spec := w.Body.String()
	routes, err := Routes()
	if err != nil || len(routes) == 0 {
		t.Fatalf("Routes() = %v, %v", routes, err)
	}
	for _, route := range routes {
		if route.Method == http.MethodHead {
			continue // HEAD is GET without the body; OpenAPI 3.0 needs no entry
		}
		_, block, found := strings.Cut(spec, "\n  "+route.Path+":\n")
		if !found {
			t.Errorf("path %s is not documented", route.Path)
			continue
		}
		if next := strings.Index(block, "\n  /"); next >= 0 {
			block = block[:next]
		}
		if !strings.Contains(block, "\n    "+strings.ToLower(route.Method)+":\n") &&
			!strings.HasPrefix(block, "    "+strings.ToLower(route.Method)+":\n") {
			t.Errorf("%s is not documented", route)
		}
	}
	for _, header := range []string{headerIdempotencyKey, headerIfMatch, headerCorrelationID, headerChanged,
		headerIdempotentReplayed, "ETag", "Location", "WWW-Authenticate", "Allow"} {
		if !strings.Contains(spec, header) {
			t.Errorf("header %s is not documented", header)
		}
	}
}

func TestCorrelationIDEchoed(t *testing.T) {
	h, err := checkedHandler(t, routingApp(t), Config{})
	if err != nil {
		t.Fatal(err)
	}
	for value, echoed := range map[string]bool{"req-123": true, strings.Repeat("c", 129): false, "bad\x01id": false} {
		r := httptest.NewRequest(http.MethodGet, "/v1/users", nil)
		r.Header.Set(headerCorrelationID, value)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		got := w.Header().Get(headerCorrelationID)
		if (got == value) != echoed || got == "" {
			t.Errorf("sent %q, got %q; want echoed = %v", value, got, echoed)
		}
	}
}

func TestPanicRecovery(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	h := &handler{log: zap.New(core)}
	srv := h.withRequestInfo(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("nil map") }))
	r := httptest.NewRequest(http.MethodGet, "/v1/users", nil)
	r.Header.Set(headerCorrelationID, "corr-p")
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, r)

	if w.Code != http.StatusInternalServerError || strings.Contains(w.Body.String(), "nil map") {
		t.Fatalf("got %d %s", w.Code, w.Body)
	}
	panics := logs.FilterMessage("panic serving request").All()
	if len(panics) != 1 || panics[0].Level != zapcore.ErrorLevel || panics[0].ContextMap()["correlation_id"] != "corr-p" {
		t.Fatalf("panic logs = %v", panics)
	}
	requests := logs.FilterMessage("http request").All()
	if len(requests) != 1 || requests[0].ContextMap()["status"] != int64(500) {
		t.Fatalf("request logs = %v", requests)
	}
}

func TestRequestLogOmitsSecrets(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	h, err := checkedHandler(t, routingApp(t), Config{Logger: zap.New(core)})
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodPost, "/v1/users", strings.NewReader(`{"email":"private@example.com"}`))
	r.Header.Set("Authorization", "Basic c2VjcmV0LXRva2Vu")
	h.ServeHTTP(httptest.NewRecorder(), r)
	for _, e := range logs.All() {
		for k, v := range e.ContextMap() {
			s, _ := v.(string)
			if strings.Contains(s, "c2VjcmV0") || strings.Contains(s, "private@") {
				t.Errorf("log field %s leaks %q", k, s)
			}
		}
	}
}
