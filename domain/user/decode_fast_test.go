package user

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
)

// fastDecodeCases are inputs at the edges of what the fast decoders accept:
// each must either be refused by them or decode exactly as encoding/json
// decodes it.
var fastDecodeCases = []string{
	`{"changes": {"department": {"new": "research", "old": "bench"}}}`,
	`{"changes":{"title":{"old":"","new":"Analyst"},"department":{"old":"Navy","new":""}}}`,
	`{"changes": {}}`, `{}`, ` { } `, `{"changes": null}`, `null`, ``, `[]`, `{"changes": {"title": {}}}`,
	`{"changes": {"title": {"old": "a"}, "title": {"new": "b"}}}`,
	`{"changes": {"title": {"old": "a"}}, "changes": {"locale": {"new": "b"}}}`,
	`{"changes": {"title": {"old": "a", "old": "c"}}}`,
	`{"Changes": {"title": {"old": "a"}}}`, `{"changes": {"title": {"Old": "a"}}}`,
	`{"changes": {"title": {"old": "a\"b"}}}`, `{"changes": {"title": {"old": "\u00e9"}}}`,
	`{"changes": {"title": {"old": "Müller", "new": "名前"}}}`, "{\"changes\": {\"title\": {\"old\": \"\xff\"}}}",
	"{\"changes\": {\"title\": {\"old\": \"a\tb\"}}}", `{"changes": {"title": {"old": 1}}}`,
	`{"changes": {"title": {"old": null}}}`, `{"changes": {"title": {"old": "a",}}}`, `{"changes": {"title": {"old": "a"}}} x`,
	`{"changes": {"title": {"old": "a"}}}}`, `{"changes": {"title": {"old": "a"`, `{"changes": {"title": {"old": "a", "x": "y"}}}`,
	`{"changes": {"a": {"new": "b"}}, "emails": {"old": [], "new": [{"value": "x@example.com", "primary": true}]}}`,
	`{"tenant_id": "t", "email": "a@example.com", "given_name": "Ada", "family_name": "Lovelace"}`,
	`{"title": "Engineer", "email": "r1@bench.example", "emails": [{"value": "r1@bench.example", "primary": true}], "locale": "en-GB", "tenant_id": "0193", "time_zone": "Europe/London", "department": "bench", "given_name": "Ada", "family_name": "Lovelace", "display_name": "Ada Lovelace"}`,
	`{"email": "a", "emails": [], "phone_numbers": [{"value": "+1", "type": "mobile", "primary": false}], "addresses": [{"locality": "London", "primary": true}, {}]}`,
	`{"emails": [{"value": "a"}], "emails": [{"value": "b"}]}`, `{"emails": null}`, `{"emails": [null]}`, `{"emails": [{"primary": "true"}]}`,
	`{"emails": [{"primary": tru}]}`, `{"emails": [{"primary": truex}]}`, `{"emails": [{"value": "a"},]}`, `{"emails": [{"value": "a"} {"value": "b"}]}`,
	`{"addresses": [{"country": "GB", "postal_code": "N1", "region": "L", "street_address": "1 St", "formatted": "f", "type": "work"}]}`,
	`{"manager_id": "m", "username": "u", "middle_name": "m", "honorific_prefix": "Dr", "honorific_suffix": "III", "formatted_name": "f",
	  "nick_name": "n", "profile_url": "https://x", "user_type": "Employee", "external_id": "e", "employee_number": "1", "cost_center": "c",
	  "organization": "o", "division": "d", "preferred_language": "en", "title": "t", "department": "d", "locale": "en", "time_zone": "UTC"}`,
	`{"given_name": "a", "unknown": "b"}`, `{"given_name": "a", "given_name": "b"}`, `{"GIVEN_NAME": "a"}`, `{"given_name": null}`,
}

// TestFastDecodersAgreeWithEncodingJSON: on every input the fast decoders
// accept, they give what encoding/json gives; what encoding/json refuses,
// they refuse.
func TestFastDecodersAgreeWithEncodingJSON(t *testing.T) {
	for _, in := range fastDecodeCases {
		checkFastDecoders(t, []byte(in))
	}
	// Random events, as PostgreSQL returns what the service wrote.
	r := rand.New(rand.NewPCG(1, 2))
	for range 500 {
		for _, e := range []Event{randomRegistered(r), randomProfileChanged(r)} {
			// jsonb gives strings back with only '"', '\\' and control
			// characters escaped; encoding/json's HTML escapes are not.
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			if err := enc.Encode(e); err != nil {
				t.Fatal(err)
			}
			data := buf.Bytes()
			if !checkFastDecoders(t, data) {
				t.Errorf("fast decoders refused an event as the service writes it: %s", data)
			}
		}
	}
}

func FuzzFastDecoders(f *testing.F) {
	for _, in := range fastDecodeCases {
		f.Add([]byte(in))
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkFastDecoders(t, data) })
}

// checkFastDecoders compares both fast decoders with encoding/json on data
// and reports whether one of them accepted it.
func checkFastDecoders(t *testing.T, data []byte) bool {
	t.Helper()
	var (
		wantC ProfileChanged
		wantR Registered
	)
	errC, errR := json.Unmarshal(data, &wantC), json.Unmarshal(data, &wantR)
	gotC, okC := fastProfileChanged(data)
	gotR, okR := fastRegistered(data)
	if okC && (errC != nil || !reflect.DeepEqual(gotC, wantC)) {
		t.Errorf("ProfileChanged of %q: fast %+v, encoding/json %+v (%v)", data, gotC, wantC, errC)
	}
	if okR && (errR != nil || !reflect.DeepEqual(gotR, wantR)) {
		t.Errorf("Registered of %q: fast %+v, encoding/json %+v (%v)", data, gotR, wantR, errR)
	}
	return okC || okR
}

var sampleStrings = []string{"", "a", "Ada", "Müller", "名前", "O'Brien", "x y z", "https://example.com/u?a=1&b=2", "<tag>", "ø"}

func randomString(r *rand.Rand) string {
	if r.IntN(4) == 0 {
		return fmt.Sprintf("%s %d", sampleStrings[r.IntN(len(sampleStrings))], r.IntN(1000))
	}
	return sampleStrings[r.IntN(len(sampleStrings))]
}

func randomRegistered(r *rand.Rand) Registered {
	e := Registered{TenantID: randomString(r), Email: randomString(r)}
	for _, f := range profileFields {
		if r.IntN(2) == 0 {
			*f.get(&e.Profile) = randomString(r)
		}
	}
	for range r.IntN(3) {
		e.Emails = append(e.Emails, Email{Value: randomString(r), Type: randomString(r), Primary: r.IntN(2) == 0})
	}
	for range r.IntN(3) {
		e.PhoneNumbers = append(e.PhoneNumbers, PhoneNumber{Value: randomString(r), Primary: r.IntN(2) == 0})
	}
	for range r.IntN(3) {
		e.Addresses = append(e.Addresses, Address{Type: randomString(r), Formatted: randomString(r), StreetAddress: randomString(r),
			Locality: randomString(r), Region: randomString(r), PostalCode: randomString(r), Country: randomString(r), Primary: r.IntN(2) == 0})
	}
	return e
}

func randomProfileChanged(r *rand.Rand) ProfileChanged {
	e := ProfileChanged{Changes: map[string]Change{}}
	for range 1 + r.IntN(4) {
		e.Changes[profileFields[r.IntN(len(profileFields))].name] = Change{Old: randomString(r), New: randomString(r)}
	}
	return e
}

func BenchmarkDecodeEvent(b *testing.B) {
	for typ, data := range map[string]string{
		TypeProfileChanged: fastDecodeCases[0],
		TypeRegistered:     fastDecodeCases[29],
	} {
		b.Run(typ, func(b *testing.B) {
			for b.Loop() {
				if _, err := DecodeEvent(typ, []byte(data)); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(typ+"/encoding-json", func(b *testing.B) {
			for b.Loop() {
				var err error
				if typ == TypeRegistered {
					_, err = decodeAs[Registered]([]byte(data))
				} else {
					_, err = decodeAs[ProfileChanged]([]byte(data))
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
