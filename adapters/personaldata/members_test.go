package personaldata

import (
	"encoding/json"
	"testing"
)

// canonical is data decoded and encoded again (members sorted), or "" when
// it is no JSON object.
func canonical(data []byte) string {
	var m map[string]json.RawMessage
	if json.Unmarshal(data, &m) != nil || m == nil {
		return ""
	}
	if _, reserved := m[SealedMember]; reserved {
		return "" // the sealed member's name is reserved: Seal replaces it
	}
	if _, reserved := m[ErasedMember]; reserved {
		return ""
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// sealRoundTrip checks that Seal's member split gives what the decoding
// path gives: the same plain members, and Open restores the data.
func sealRoundTrip(t *testing.T, data []byte) {
	t.Helper()
	want := canonical(data)
	if want == "" {
		return
	}
	key, err := newDataKey()
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := Seal(key, stream, "user.registered.v2", data)
	if err != nil {
		t.Fatalf("Seal(%s): %v", data, err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(sealed, &m); err != nil {
		t.Fatalf("Seal(%s) = %s: not a JSON object: %v", data, sealed, err)
	}
	for name := range m {
		if name != SealedMember && IsPersonal("user.registered.v2", name) {
			t.Fatalf("Seal(%s) = %s: personal member %q left in clear", data, sealed, name)
		}
	}
	opened, err := Open(key, stream, "user.registered.v2", sealed)
	if err != nil {
		t.Fatalf("Open(Seal(%s)): %v", data, err)
	}
	if got := canonical(opened); got != want {
		t.Fatalf("Open(Seal(%s)) = %s, want %s", data, got, want)
	}
}

func TestSealSplitsMembersAsTheDecoderWould(t *testing.T) {
	t.Parallel()
	for _, data := range []string{
		`{}`, ` { } `, `{"tenant_id":"t"}`,
		`{"tenant_id":"t","email":"a@b.c"}`,
		` {"email" : "a\"b\\c}" , "tenant_id":"t" , "n":-1.5e3,"b":true,"z":null } `,
		`{"emails":[{"value":"x@y","primary":true},[1,[2]],"]}"],"tenant_id":"t","o":{"a":{"b":"}"}}}`,
		`{"given_n\u0061me":"Ada","tenant_id":"t"}`, // an escaped name: the decoding path
		`{"email":"é ✓ \u2028","tenant_id":"t"}`,
	} {
		sealRoundTrip(t, []byte(data))
	}
}

func FuzzSealRoundTrip(f *testing.F) {
	f.Add([]byte(registered))
	f.Add([]byte(`{"tenant_id":"t","email":"a\"b","x":[1,{"y":"]"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		sealRoundTrip(t, data)
	})
}
