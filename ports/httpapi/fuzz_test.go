package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/userservice/userservice/domain/user"
)

// FuzzDecodeRequests sends arbitrary bodies through the JSON decoder of every
// endpoint (registration, merge patch, deactivation, notification settings).
// Seeds are the README's and OpenAPI's examples and the hostile shapes the
// API must refuse. Every refusal must be errMalformedRequest (400
// malformed_request), only a UTF-8 JSON object may be accepted, and an
// accepted merge patch must mean what RFC 7396 says: a member present sets
// (null clears), an absent one leaves the field alone.
func FuzzDecodeRequests(f *testing.F) {
	for _, seed := range []string{
		`{"email":"ada@acme.test","given_name":"Ada","family_name":"Lovelace","department":"Engineering"}`,
		`{"title":"Analyst"}`,
		`{"title":"Rear Admiral","department":null}`,
		`{"reason":"left the company"}`,
		`{"emails":["ops@acme.test"],"webhook_url":"https://acme.test/hook","webhook_secret":"0123456789abcdef"}`,
		`{"email":"x@example.com","given_name":"X","family_name":"Y","role":"god"}`,
		`{"title":"a","title":null}`,
		`{"TITLE":"x","Email":null}`,
		`{"given_name":"\xff"}`,
		`{"title":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`,
		`{"title":"=cmd|' /C calc'!A0"}`,
		`{"email":"a@b.c\r\nBcc: evil@example.com"}`,
		`{} {}`,
		`[]`,
		`{"status":"deactivated","manager_id":""}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		_, regErr := decodeRegistration(body)
		patch, patchErr := decodePatch(body)
		_, deactErr := decodeDeactivation(body)
		_, setErr := decodeSettings(body)
		accepted := false
		for _, err := range []error{regErr, patchErr, deactErr, setErr} {
			if err == nil {
				accepted = true
				continue
			}
			if !errors.Is(err, errMalformedRequest) {
				t.Fatalf("refusal %v is not malformed_request", err)
			}
			if p := classify(err); p.Status != 400 || p.Code != codeMalformedRequest {
				t.Fatalf("refusal %v answered %d %s", err, p.Status, p.Code)
			}
		}
		if !accepted {
			return
		}
		trimmed := bytes.TrimSpace(body)
		if !utf8.Valid(body) || !json.Valid(body) || len(trimmed) == 0 || trimmed[0] != '{' {
			t.Fatalf("accepted a body that is not one UTF-8 JSON object: %q", body)
		}
		if patchErr == nil {
			checkMergePatch(t, body, patch)
		}
	})
}

// checkMergePatch compares a decoded patch with the body's members, read in
// order (a repeated member: the last wins) and matched to field names the way
// encoding/json matches them (case-insensitively).
func checkMergePatch(t *testing.T, body []byte, p user.Patch) {
	t.Helper()
	status := (*string)(p.Status)
	got := map[string]*string{"email": p.Email, "given_name": p.GivenName, "family_name": p.FamilyName,
		"display_name": p.DisplayName, "department": p.Department, "title": p.Title, "manager_id": p.ManagerID,
		"external_id": p.ExternalID, "locale": p.Locale, "time_zone": p.TimeZone, "status": status}
	want := map[string]*string{}
	dec := json.NewDecoder(bytes.NewReader(body))
	if _, err := dec.Token(); err != nil { // {
		t.Fatal(err)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			t.Fatal(err)
		}
		name := ""
		for field := range got {
			if strings.EqualFold(field, tok.(string)) {
				name = field
			}
		}
		if name == "" {
			t.Fatalf("patch accepted with unknown member %q", tok)
		}
		v := ""
		if string(raw) != "null" {
			if err := json.Unmarshal(raw, &v); err != nil {
				t.Fatalf("member %s = %s accepted: %v", name, raw, err)
			}
		}
		want[name] = &v
	}
	if _, err := dec.Token(); err != nil && err != io.EOF { // }
		t.Fatal(err)
	}
	for field, g := range got {
		w := want[field]
		if (g == nil) != (w == nil) || (g != nil && *g != *w) {
			t.Fatalf("%s: patch has %v, body says %v (%q)", field, deref(g), deref(w), body)
		}
	}
}

func deref(s *string) any {
	if s == nil {
		return "absent"
	}
	return *s
}
