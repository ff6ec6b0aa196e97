package auth

import (
	"bytes"
	"strings"
	"testing"
)

func TestRolesGrantWhatTheirNamesSay(t *testing.T) {
	cases := []struct {
		role                               Role
		read, write, imports, scim, tokens bool
	}{
		{RoleReader, true, false, false, false, false},
		{RoleImporter, true, false, true, false, false},
		{RoleAdmin, true, true, true, true, true},
		// A SCIM token reaches the SCIM endpoints only, not the admin API.
		{RoleSCIM, false, false, false, true, false},
		{Role("root"), false, false, false, false, false},
	}
	for _, c := range cases {
		p := Principal{Role: c.role}
		if p.Can(PermReadUsers) != c.read || p.Can(PermWriteUsers) != c.write || p.Can(PermImport) != c.imports ||
			p.Can(PermSCIM) != c.scim || p.Can(PermManageTokens) != c.tokens {
			t.Errorf("%s: read %v write %v import %v scim %v tokens %v", c.role, p.Can(PermReadUsers), p.Can(PermWriteUsers),
				p.Can(PermImport), p.Can(PermSCIM), p.Can(PermManageTokens))
		}
	}
}

func TestParseRole(t *testing.T) {
	for in, want := range map[string]Role{"admin": RoleAdmin, " Reader ": RoleReader, "IMPORTER": RoleImporter, "SCIM": RoleSCIM} {
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

func TestWellFormedTokenAcceptsIssuedTokensOnly(t *testing.T) {
	for range 50 {
		if tok, _ := NewToken(); !WellFormedToken(tok) {
			t.Fatalf("issued token %q refused", tok)
		}
	}
	tok, _ := NewToken()
	for _, bad := range []string{"", "usr_", "usr_short", tok + "x", tok[:len(tok)-1], "tok_" + tok[4:],
		tok[:10] + "+" + tok[11:], tok[:10] + "=" + tok[11:], tok[:10] + "\x00" + tok[11:], strings.Repeat("a", 1<<16)} {
		if WellFormedToken(bad) {
			t.Errorf("WellFormedToken(%.60q) = true", bad)
		}
	}
}
