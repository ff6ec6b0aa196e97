package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/userservice/userservice/app/auth"
	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/app/query"
	"github.com/userservice/userservice/domain/user"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		status int
		code   string
	}{
		{"validation", &user.ValidationError{Fields: []user.FieldError{{Field: "email", Code: "required", Reason: "is required"}}},
			http.StatusUnprocessableEntity, codeValidationFailed},
		{"wrapped validation", fmt.Errorf("decide: %w", &user.ValidationError{}), http.StatusUnprocessableEntity, codeValidationFailed},
		{"not found", user.ErrNotFound, http.StatusNotFound, codeNotFound},
		{"invalid id", user.ErrInvalidID, http.StatusNotFound, codeNotFound},
		{"no route", errNoRoute, http.StatusNotFound, codeNotFound},
		{"already exists", user.ErrAlreadyExists, http.StatusConflict, codeAlreadyExists},
		{"email taken", user.ErrEmailTaken, http.StatusConflict, codeEmailTaken},
		{"external id taken", user.ErrExternalIDTaken, http.StatusConflict, codeExternalIDTaken},
		{"seats exhausted", user.ErrSeatsExhausted, http.StatusConflict, codeSeatsExhausted},
		{"version conflict", user.ErrVersionConflict, http.StatusConflict, codeVersionConflict},
		{"version conflict under If-Match", conditional(command.Envelope{ExpectedVersion: ptr(3)}, user.ErrVersionConflict),
			http.StatusPreconditionFailed, codeVersionConflict},
		{"version conflict without If-Match", conditional(command.Envelope{}, user.ErrVersionConflict),
			http.StatusConflict, codeVersionConflict},
		{"If-Match leaves other errors alone", conditional(command.Envelope{ExpectedVersion: ptr(3)}, user.ErrEmailTaken),
			http.StatusConflict, codeEmailTaken},
		{"manager not found", user.ErrManagerNotFound, http.StatusUnprocessableEntity, codeManagerNotFound},
		{"manager cycle", user.ErrManagerCycle, http.StatusUnprocessableEntity, codeManagerCycle},
		{"idempotency key reused", command.ErrIdempotencyKeyReused, http.StatusUnprocessableEntity, codeIdempotencyKeyReused},
		{"invalid query", fmt.Errorf("%w: bad cursor", query.ErrInvalidQuery), http.StatusBadRequest, codeInvalidQuery},
		{"malformed", fmt.Errorf("%w: unknown field", errMalformedRequest), http.StatusBadRequest, codeMalformedRequest},
		{"unauthenticated", auth.ErrUnauthenticated, http.StatusUnauthorized, codeUnauthorized},
		{"forbidden", fmt.Errorf("%w: it needs users:write", auth.ErrForbidden), http.StatusForbidden, codeForbidden},
		{"method not allowed", errMethodNotAllowed, http.StatusMethodNotAllowed, codeMethodNotAllowed},
		{"body too large", errBodyTooLarge, http.StatusRequestEntityTooLarge, codeBodyTooLarge},
		{"unsupported media type", errUnsupportedMediaType, http.StatusUnsupportedMediaType, codeUnsupportedMediaType},
		{"unknown error", errors.New("connection refused"), http.StatusInternalServerError, codeInternal},
		{"incomplete envelope is our bug", command.ErrInvalidEnvelope, http.StatusInternalServerError, codeInternal},
		{"cancelled", context.Canceled, http.StatusInternalServerError, codeInternal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, err := range []error{tt.err, fmt.Errorf("handler: %w", fmt.Errorf("store: %w", tt.err))} {
				p := classify(err)
				if p.Status != tt.status || p.Code != tt.code {
					t.Errorf("classify(%v) = %d %s, want %d %s", err, p.Status, p.Code, tt.status, tt.code)
				}
				if p.Type != problemTypePrefix+tt.code || p.Title == "" || p.Detail == "" {
					t.Errorf("classify(%v) = %+v: want type, title and detail", err, p)
				}
			}
		})
	}
}

func TestClassifyDetailLeaksNothing(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		wantDetail string
	}{
		{"internal", fmt.Errorf("insert users: dial tcp 10.0.0.5:5432: password authentication failed"), internalDetail},
		{"wrapped sentinel shows only the sentinel",
			fmt.Errorf("users_email_key violated: %w", user.ErrEmailTaken), user.ErrEmailTaken.Error()},
		{"port errors show their message",
			fmt.Errorf(`%w: unknown field "x"`, errMalformedRequest), `malformed request: unknown field "x"`},
		{"query errors show their message",
			fmt.Errorf("%w: limit must be an integer", query.ErrInvalidQuery), "invalid query: limit must be an integer"},
	}
	for _, tt := range tests {
		if got := classify(tt.err).Detail; got != tt.wantDetail {
			t.Errorf("%s: detail = %q, want %q", tt.name, got, tt.wantDetail)
		}
	}
}

func TestClassifyValidationFields(t *testing.T) {
	fields := []user.FieldError{
		{Field: "email", Code: "invalid_format", Reason: "must be an e-mail address"},
		{Field: "given_name", Code: "required", Reason: "is required"},
	}
	p := classify(fmt.Errorf("register: %w", &user.ValidationError{Fields: fields}))
	if len(p.Errors) != 2 || p.Errors[0] != fields[0] || p.Errors[1] != fields[1] {
		t.Fatalf("errors = %+v, want %+v", p.Errors, fields)
	}
	fields[0].Field = "changed"
	if p.Errors[0].Field != "email" {
		t.Fatal("problem shares the error's slice")
	}
}

// TestProblemCodesDocumented keeps openapi.yaml's list of codes complete.
func TestProblemCodesDocumented(t *testing.T) {
	codes := []string{codeValidationFailed, codeInternal}
	for _, k := range errorKinds {
		codes = append(codes, k.code)
	}
	spec := string(openapiSpec)
	for _, c := range codes {
		if !strings.Contains(spec, "- "+c+"\n") {
			t.Errorf("code %s is not in the Problem schema of openapi.yaml", c)
		}
	}
}
