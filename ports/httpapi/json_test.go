package httpapi

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestCheckMediaType(t *testing.T) {
	tests := []struct {
		contentType string
		allowed     []string
		ok          bool
	}{
		{"application/json", []string{mediaJSON}, true},
		{"application/json; charset=utf-8", []string{mediaJSON}, true},
		{"Application/JSON; charset=UTF-8", []string{mediaJSON}, true},
		{"application/merge-patch+json", []string{mediaMergePatch, mediaJSON}, true},
		{"application/json", []string{mediaMergePatch, mediaJSON}, true},
		{"application/merge-patch+json", []string{mediaJSON}, false},
		{"", []string{mediaJSON}, false},
		{"text/plain", []string{mediaJSON}, false},
		{"application/json; charset=latin1", []string{mediaJSON}, false},
		{"application/x-www-form-urlencoded", []string{mediaJSON}, false},
		{"application/", []string{mediaJSON}, false},
	}
	for _, tt := range tests {
		err := checkMediaType(tt.contentType, tt.allowed...)
		if tt.ok && err != nil {
			t.Errorf("%q: unexpected error %v", tt.contentType, err)
		}
		if !tt.ok && !errors.Is(err, errUnsupportedMediaType) {
			t.Errorf("%q: err = %v, want errUnsupportedMediaType", tt.contentType, err)
		}
	}
}

func TestReadBody(t *testing.T) {
	tests := []struct {
		name        string
		contentType string
		body        string
		optional    bool
		want        string
		wantErr     error
	}{
		{name: "json", contentType: mediaJSON, body: `{"a":1}`, want: `{"a":1}`},
		{name: "at the limit", contentType: mediaJSON, body: `{"a":"` + strings.Repeat("x", 56) + `"}`, want: `{"a":"` + strings.Repeat("x", 56) + `"}`},
		{name: "over the limit", contentType: mediaJSON, body: `{"a":"` + strings.Repeat("x", 57) + `"}`, wantErr: errBodyTooLarge},
		{name: "required but empty", contentType: mediaJSON, body: "", wantErr: errMalformedRequest},
		{name: "required but blank", contentType: mediaJSON, body: " \n", wantErr: errMalformedRequest},
		{name: "wrong type", contentType: "text/plain", body: `{}`, wantErr: errUnsupportedMediaType},
		{name: "no type", body: `{}`, wantErr: errUnsupportedMediaType},
		{name: "optional and absent needs no type", body: "", optional: true, want: ""},
		{name: "optional and present needs a type", body: `{}`, optional: true, wantErr: errUnsupportedMediaType},
		{name: "optional and present", contentType: mediaJSON, body: `{}`, optional: true, want: `{}`},
	}
	h := &handler{maxBody: 64}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/v1/users", strings.NewReader(tt.body))
			if tt.contentType != "" {
				r.Header.Set("Content-Type", tt.contentType)
			}
			got, err := h.readBody(httptest.NewRecorder(), r, tt.optional, mediaJSON)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil || string(got) != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
			if tt.want == "" && got != nil {
				t.Fatalf("an absent optional body must be nil, got %q", got)
			}
		})
	}
}

func TestWriteJSONFailureIsAProblem(t *testing.T) {
	h := &handler{log: nopLogger()}
	w := httptest.NewRecorder()
	extra := http.Header{}
	extra.Set("ETag", `"1"`)
	h.writeJSON(w, httptest.NewRequest(http.MethodGet, "/v1/users", nil), http.StatusOK, map[string]any{"x": func() {}}, extra)
	if w.Code != http.StatusInternalServerError || w.Header().Get("ETag") != "" {
		t.Fatalf("got %d with ETag %q", w.Code, w.Header().Get("ETag"))
	}
}
