package httpapi

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/userservice/userservice/app/auth"
	"github.com/userservice/userservice/app/command"
)

func TestHeaderValueValidation(t *testing.T) {
	tests := []struct {
		name           string
		value          string
		idempotencyKey bool
		correlationID  bool
	}{
		{"empty", "", false, false},
		{"uuid", "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", true, true},
		{"one character", "x", true, true},
		{"inner space and symbols", "order 42/retry#1~", true, true},
		{"128 characters", strings.Repeat("a", 128), true, true},
		{"129 characters", strings.Repeat("a", 129), true, false},
		{"255 characters", strings.Repeat("a", 255), true, false},
		{"256 characters", strings.Repeat("a", 256), false, false},
		{"tab", "a\tb", false, false},
		{"newline", "a\nb", false, false},
		{"DEL", "a\x7fb", false, false},
		{"non-ASCII", "schlüssel", false, false},
		{"NUL", "a\x00", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := validIdempotencyKey(tt.value); got != tt.idempotencyKey {
				t.Errorf("validIdempotencyKey = %v, want %v", got, tt.idempotencyKey)
			}
			if got := validCorrelationID(tt.value); got != tt.correlationID {
				t.Errorf("validCorrelationID = %v, want %v", got, tt.correlationID)
			}
		})
	}
}

func TestIdempotencyKey(t *testing.T) {
	tests := []struct {
		name    string
		values  []string // nil: header absent
		want    string   // "uuid": a generated UUID
		wantErr bool
	}{
		{name: "absent generates a UUID", values: nil, want: "uuid"},
		{name: "given", values: []string{"key-1"}, want: "key-1"},
		{name: "present but empty", values: []string{""}, wantErr: true},
		{name: "repeated", values: []string{"a", "b"}, wantErr: true},
		{name: "too long", values: []string{strings.Repeat("k", 256)}, wantErr: true},
		{name: "control character", values: []string{"a\x01"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.values != nil {
				h[headerIdempotencyKey] = tt.values
			}
			got, fromClient, err := idempotencyKey(h)
			if tt.wantErr {
				if !errors.Is(err, errMalformedRequest) {
					t.Fatalf("err = %v, want errMalformedRequest", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if fromClient != (tt.want != "uuid") {
				t.Fatalf("fromClient = %v for %q", fromClient, got)
			}
			if tt.want == "uuid" {
				if _, err := uuid.Parse(got); err != nil {
					t.Fatalf("generated key %q is not a UUID", got)
				}
				return
			}
			if got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestIfMatchVersion(t *testing.T) {
	tests := []struct {
		name    string
		values  []string
		want    *int
		wantErr bool
	}{
		{name: "absent", values: nil, want: nil},
		{name: "version", values: []string{`"3"`}, want: ptr(3)},
		{name: "zero", values: []string{`"0"`}, want: ptr(0)},
		{name: "surrounding space", values: []string{` "12" `}, want: ptr(12)},
		{name: "any", values: []string{`*`}, want: nil},
		{name: "unquoted", values: []string{`3`}, wantErr: true},
		{name: "weak", values: []string{`W/"3"`}, wantErr: true},
		{name: "list", values: []string{`"3", "4"`}, wantErr: true},
		{name: "repeated", values: []string{`"3"`, `"4"`}, wantErr: true},
		{name: "signed", values: []string{`"+3"`}, wantErr: true},
		{name: "negative", values: []string{`"-1"`}, wantErr: true},
		{name: "not a number", values: []string{`"abc"`}, wantErr: true},
		{name: "empty tag", values: []string{`""`}, wantErr: true},
		{name: "overflow", values: []string{`"99999999999999999999999"`}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.values != nil {
				h[headerIfMatch] = tt.values
			}
			got, err := ifMatchVersion(h)
			if tt.wantErr {
				if !errors.Is(err, errMalformedRequest) {
					t.Fatalf("err = %v, want errMalformedRequest", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (got == nil) != (tt.want == nil) || (got != nil && *got != *tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestNewEnvelope(t *testing.T) {
	ctx := context.WithValue(context.Background(), requestInfoKey{}, &requestInfo{correlationID: "corr-9", route: "/v1/users/{id}"})
	r := httptest.NewRequest(http.MethodPatch, "/v1/users/x", nil).WithContext(ctx)
	r.Header.Set(headerIdempotencyKey, "key-7")
	r.Header.Set(headerIfMatch, `"5"`)
	p := auth.Principal{TokenID: "tok-1", TenantID: "tenant-1", Role: auth.RoleAdmin}

	env, err := newEnvelope(r, p)
	if err != nil {
		t.Fatal(err)
	}
	want := command.Envelope{CommandID: "key:key-7", ClientKey: true, Request: "PATCH /v1/users/{id}", TenantID: "tenant-1", Actor: "token:tok-1",
		Source: command.SourceAPI, CorrelationID: "corr-9"}
	got := env
	got.ExpectedVersion = nil
	if got != want || env.ExpectedVersion == nil || *env.ExpectedVersion != 5 {
		t.Fatalf("got %+v (expected version %v), want %+v with 5", got, env.ExpectedVersion, want)
	}
}

func TestETag(t *testing.T) {
	v, err := ifMatchVersion(http.Header{headerIfMatch: {etag(42)}})
	if err != nil || v == nil || *v != 42 || etag(42) != `"42"` {
		t.Fatalf("etag(42) = %s does not round-trip: %v %v", etag(42), v, err)
	}
}
