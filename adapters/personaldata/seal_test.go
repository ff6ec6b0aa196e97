package personaldata

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func testRing(t *testing.T, active string, ids ...string) *Keyring {
	t.Helper()
	keys := map[string][]byte{}
	for _, id := range ids {
		k := make([]byte, MasterKeySize)
		_, _ = rand.Read(k)
		keys[id] = k
	}
	ring, err := NewKeyring(active, keys)
	if err != nil {
		t.Fatal(err)
	}
	return ring
}

var stream = [16]byte{1, 2, 3}

const registered = `{"tenant_id":"t-1","email":"ada@example.com","given_name":"Ada","family_name":"Lovelace",` +
	`"emails":[{"value":"ada@example.com","primary":true}],"manager_id":"m-1"}`

func TestSealKeepsOnlyTheNonPersonalMembersReadable(t *testing.T) {
	key, err := newDataKey()
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := Seal(key, stream, "user.registered.v2", []byte(registered))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"ada@example.com", "Ada", "Lovelace", "m-1"} {
		if strings.Contains(string(sealed), v) {
			t.Errorf("sealed data shows %q: %s", v, sealed)
		}
	}
	var m map[string]any
	if err := json.Unmarshal(sealed, &m); err != nil || m["tenant_id"] != "t-1" || len(m) != 2 {
		t.Fatalf("sealed data %s: want tenant_id and %s only", sealed, SealedMember)
	}
	opened, err := Open(key, stream, "user.registered.v2", sealed)
	if err != nil {
		t.Fatal(err)
	}
	var want, got map[string]any
	_ = json.Unmarshal([]byte(registered), &want)
	_ = json.Unmarshal(opened, &got)
	if gj, wj := mustJSON(got), mustJSON(want); gj != wj {
		t.Fatalf("round trip: %s, want %s", gj, wj)
	}

	// Bound to its stream and type: moved elsewhere it does not open.
	if _, err := Open(key, [16]byte{9}, "user.registered.v2", sealed); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("opened under another stream: %v", err)
	}
	// Without the key (erased), or with a newer key, it reads as erased.
	for _, k := range []*DataKey{nil, mustKey(t)} {
		opened, err := Open(k, stream, "user.registered.v2", sealed)
		if err != nil || !strings.Contains(string(opened), `"`+ErasedMember+`":true`) || strings.Contains(string(opened), "Ada") {
			t.Fatalf("open without the key: %s, %v", opened, err)
		}
	}
}

func TestSealLeavesEventsWithoutPersonalDataAlone(t *testing.T) {
	key := mustKey(t)
	for _, c := range []struct{ typ, data string }{
		{"user.reactivated.v1", `{}`},
		{"user.deactivated.v2", `{"cause":"requested"}`},
		{"user.erased.v1", `{}`},
		{"group.created.v1", `{"name":"Engineering"}`},
	} {
		got, err := Seal(key, stream, c.typ, []byte(c.data))
		if err != nil || string(got) != c.data {
			t.Errorf("Seal(%s) = %s, %v; want it unchanged", c.typ, got, err)
		}
	}
	got, _ := Seal(key, stream, "user.deactivated.v2", []byte(`{"cause":"requested","reason":"left Ada's team"}`))
	if strings.Contains(string(got), "Ada") || !strings.Contains(string(got), `"cause":"requested"`) {
		t.Fatalf("deactivation sealed as %s", got)
	}
}

// A user without a key gets one only from an event with something
// personal to seal: it then rides on the first event's insert (WithNewKey)
// and seals every later event of the command.
func TestUserKeyIsMadeOnlyForPersonalData(t *testing.T) {
	keys := &Keys{ring: testRing(t, "k", "k")}
	uk := keys.NewUserKey("tenant", stream)
	const insert = `INSERT INTO events (a) VALUES ($1)`
	if _, err := uk.Seal("user.deactivated.v2", []byte(`{"cause":"requested"}`)); err != nil {
		t.Fatal(err)
	}
	if sql, args := uk.WithNewKey(insert, []any{1}); sql != insert || len(args) != 1 {
		t.Fatalf("a key was made for an event without personal data: %s %v", sql, args)
	}
	first, err := uk.Seal("user.registered.v2", []byte(registered))
	if err != nil {
		t.Fatal(err)
	}
	second, err := uk.Seal("user.profile_changed.v2", []byte(`{"given_name":"Grace"}`))
	if err != nil {
		t.Fatal(err)
	}
	sql, args := uk.WithNewKey(insert, []any{1})
	if !strings.HasPrefix(sql, "WITH data_key AS (INSERT INTO user_data_keys") || !strings.HasSuffix(sql, insert) || len(args) != 5 {
		t.Fatalf("new key not prefixed to the first event's insert: %s (%d args)", sql, len(args))
	}
	stored, err := keys.Open(stream, "user.profile_changed.v2", second, args[3].([]byte))
	if err != nil || !strings.Contains(string(stored), "Grace") {
		t.Fatalf("second event with the stored key: %s, %v", stored, err)
	}
	if opened, err := keys.Open(stream, "user.registered.v2", first, args[3].([]byte)); err != nil || strings.Contains(string(opened), ErasedMember) {
		t.Fatalf("first event with the stored key: %s, %v", opened, err)
	}
}

func TestWrappedKeysUnwrapOnlyForTheirUserAndWithTheirMasterKey(t *testing.T) {
	ring := testRing(t, "old", "old")
	key := mustKey(t)
	w, err := ring.wrap(stream, key)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ring.unwrap([16]byte{7}, w); err == nil {
		t.Fatal("a wrapped key unwrapped for another user")
	}
	other := testRing(t, "new", "new")
	if _, err := other.unwrap(stream, w); !errors.Is(err, ErrUnknownMasterKey) {
		t.Fatalf("unwrap with a keyring lacking the master key: %v", err)
	}
	got, err := ring.unwrap(stream, w)
	if err != nil || got.id != key.id || got.raw != key.raw {
		t.Fatalf("unwrap: %v", err)
	}
}

func TestNewKeyringReportsEveryProblem(t *testing.T) {
	_, err := NewKeyring("missing", map[string][]byte{"short": {1, 2}, "": make([]byte, 32)})
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"short", "active master key", "id"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func mustKey(t *testing.T) *DataKey {
	t.Helper()
	k, err := newDataKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustJSON(v any) string { b, _ := json.Marshal(v); return string(b) }
