package httpapi

import (
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/userservice/userservice/domain/user"
)

func ptr[T any](v T) *T { return &v }

func TestDecodePatch(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		want    user.Patch
		wantErr string // substring of the error; empty means success
	}{
		{name: "empty object changes nothing", body: `{}`, want: user.Patch{}},
		{name: "value sets", body: `{"department":"Sales","given_name":"Ada"}`,
			want: user.Patch{Department: ptr("Sales"), GivenName: ptr("Ada")}},
		{name: "null clears", body: `{"title":null}`, want: user.Patch{Title: ptr("")}},
		{name: "empty string is a value too", body: `{"title":""}`, want: user.Patch{Title: ptr("")}},
		{name: "absent, null and value together",
			body: `{"email":"a@example.com","manager_id":null,"locale":"en-GB"}`,
			want: user.Patch{Email: ptr("a@example.com"), ManagerID: ptr(""), Locale: ptr("en-GB")}},
		{name: "every field", body: `{"email":"e","given_name":"g","family_name":"f","display_name":"d",
			"department":"dep","title":"t","manager_id":"m","external_id":"x","locale":"l","time_zone":"z","status":"deactivated"}`,
			want: user.Patch{Email: ptr("e"), GivenName: ptr("g"), FamilyName: ptr("f"), DisplayName: ptr("d"),
				Department: ptr("dep"), Title: ptr("t"), ManagerID: ptr("m"), ExternalID: ptr("x"),
				Locale: ptr("l"), TimeZone: ptr("z"), Status: ptr(user.StatusDeactivated)}},
		{name: "status null is passed on for the domain to judge", body: `{"status":null}`,
			want: user.Patch{Status: ptr(user.Status(""))}},
		{name: "leading and trailing white space", body: " \n{\"title\":\"x\"}\n\t ", want: user.Patch{Title: ptr("x")}},
		{name: "unknown field", body: `{"title":"x","nickname":"y"}`, wantErr: `unknown field "nickname"`},
		{name: "read-only field", body: `{"version":3}`, wantErr: `unknown field "version"`},
		{name: "trailing object", body: `{"title":"x"}{"title":"y"}`, wantErr: "after the JSON object"},
		{name: "trailing garbage", body: `{"title":"x"} x`, wantErr: "after the JSON object"},
		{name: "array", body: `[{"title":"x"}]`, wantErr: "must be a JSON object"},
		{name: "string", body: `"x"`, wantErr: "must be a JSON object"},
		{name: "null document", body: `null`, wantErr: "must be a JSON object"},
		{name: "number instead of string", body: `{"title":5}`, wantErr: `field "title" must be a string, not a number`},
		{name: "object instead of string", body: `{"status":{}}`, wantErr: `field "status" must be a string`},
		{name: "syntax error", body: `{"title":}`, wantErr: "invalid JSON"},
		{name: "truncated", body: `{"title":"x"`, wantErr: "not complete"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodePatch([]byte(tt.body))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				if !errors.Is(err, errMalformedRequest) {
					t.Fatalf("err = %v, want errMalformedRequest", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			assertPatch(t, got, tt.want)
		})
	}
}

func assertPatch(t *testing.T, got, want user.Patch) {
	t.Helper()
	fields := []struct {
		name      string
		got, want *string
	}{
		{"email", got.Email, want.Email}, {"given_name", got.GivenName, want.GivenName},
		{"family_name", got.FamilyName, want.FamilyName}, {"display_name", got.DisplayName, want.DisplayName},
		{"department", got.Department, want.Department}, {"title", got.Title, want.Title},
		{"manager_id", got.ManagerID, want.ManagerID}, {"external_id", got.ExternalID, want.ExternalID},
		{"locale", got.Locale, want.Locale}, {"time_zone", got.TimeZone, want.TimeZone},
	}
	for _, f := range fields {
		if (f.got == nil) != (f.want == nil) || (f.got != nil && *f.got != *f.want) {
			t.Errorf("%s = %s, want %s", f.name, show(f.got), show(f.want))
		}
	}
	if (got.Status == nil) != (want.Status == nil) || (got.Status != nil && *got.Status != *want.Status) {
		t.Errorf("status = %v, want %v", got.Status, want.Status)
	}
}

func show(p *string) string {
	if p == nil {
		return "absent"
	}
	return strconv.Quote(*p)
}

func TestDecodeRegistration(t *testing.T) {
	body := `{"email":"Ada@Example.com","given_name":"Ada","family_name":"Lovelace","display_name":null,
		"department":"R&D","title":"Analyst","manager_id":"","external_id":"E1","locale":"en-GB",
		"time_zone":"Europe/London","status":"deactivated"}`
	got, err := decodeRegistration([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	want := user.Registration{
		Email: "Ada@Example.com", // normalising is the domain's job
		Profile: user.Profile{GivenName: "Ada", FamilyName: "Lovelace", Department: "R&D", Title: "Analyst",
			ExternalID: "E1", Locale: "en-GB", TimeZone: "Europe/London"},
		Status: user.StatusDeactivated,
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}

	for _, bad := range []string{`{"email":"a@b.c","id":"x"}`, `{"email":1}`, `{} {}`, `[]`} {
		if _, err := decodeRegistration([]byte(bad)); !errors.Is(err, errMalformedRequest) {
			t.Errorf("%s: err = %v, want errMalformedRequest", bad, err)
		}
	}
}

func TestDecodeDeactivation(t *testing.T) {
	tests := []struct {
		body    []byte
		want    string
		wantErr bool
	}{
		{body: nil, want: ""},
		{body: []byte(`{}`), want: ""},
		{body: []byte(`{"reason":"left the company"}`), want: "left the company"},
		{body: []byte(`{"reason":"x","why":"y"}`), wantErr: true},
		{body: []byte(`{"reason":7}`), wantErr: true},
	}
	for _, tt := range tests {
		got, err := decodeDeactivation(tt.body)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("%s: got %q, %v; want %q, error %v", tt.body, got, err, tt.want, tt.wantErr)
		}
	}
}
