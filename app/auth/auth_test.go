package auth

import (
	"bytes"
	"strings"
	"testing"
)

func TestRolesGrantWhatTheirNamesSay(t *testing.T) {
	cases := []struct {
		role                 Role
		read, write, imports bool
	}{
		{RoleReader, true, false, false},
		{RoleImporter, true, false, true},
		{RoleAdmin, true, true, true},
		{Role("root"), false, false, false},
	}
	for _, c := range cases {
		p := Principal{Role: c.role}
		if p.Can(PermReadUsers) != c.read || p.Can(PermWriteUsers) != c.write || p.Can(PermImport) != c.imports {
			t.Errorf("%s: read %v write %v import %v", c.role, p.Can(PermReadUsers), p.Can(PermWriteUsers), p.Can(PermImport))
		}
	}
}

func TestParseRole(t *testing.T) {
	for in, want := range map[string]Role{"admin": RoleAdmin, " Reader ": RoleReader, "IMPORTER": RoleImporter} {
		if got, err := ParseRole(in); err != nil || got != want {
			t.Errorf("ParseRole(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "root", "admins"} {
		if _, err := ParseRole(in); err == nil {
			t.Errorf("ParseRole(%q) accepted", in)
		}
	}
}

func TestNewTokenIsRandomAndStoredOnlyAsItsHash(t *testing.T) {
	a, ha := NewToken()
	b, hb := NewToken()
	if a == b || bytes.Equal(ha, hb) {
		t.Fatal("two tokens are equal")
	}
	if !strings.HasPrefix(a, "usr_") || len(a) < 40 {
		t.Fatalf("token %q is not a prefixed 256-bit value", a)
	}
	if !bytes.Equal(HashToken(a), ha) || bytes.Contains(ha, []byte(a)) || len(ha) != 32 {
		t.Fatal("hash does not match or carries the token")
	}
}
