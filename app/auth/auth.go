// Package auth defines who may do what: roles, the principal a bearer token
// stands for, and how tokens are made and hashed. Tokens are stored only as
// hashes; the plaintext is shown once, when issued.
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/userservice/userservice/app/errkind"
)

// Role is what a token may do within its tenant.
type Role string

// The roles, from least to most powerful.
const (
	RoleReader   Role = "reader"
	RoleImporter Role = "importer"
	RoleAdmin    Role = "admin"
	// RoleSCIM is for an identity provider or HR system provisioning users
	// over SCIM 2.0: it may use the SCIM endpoints and nothing else.
	RoleSCIM Role = "scim"
)

// ParseRole accepts the role names, case-insensitively.
func ParseRole(s string) (Role, error) {
	switch r := Role(strings.ToLower(strings.TrimSpace(s))); r {
	case RoleReader, RoleImporter, RoleAdmin, RoleSCIM:
		return r, nil
	}
	return "", fmt.Errorf("unknown role %q: want admin, importer, reader or scim", s)
}

// Permission is one kind of action a port asks about.
type Permission string

// The permissions.
const (
	PermReadUsers  Permission = "users:read"
	PermWriteUsers Permission = "users:write"
	PermImport     Permission = "imports:write"
	// PermSCIM is reading and writing users through the SCIM port.
	PermSCIM Permission = "scim"
	// PermManageTokens is revoking the tenant's API tokens.
	PermManageTokens Permission = "tokens:write"
)

var grants = map[Role][]Permission{
	RoleReader:   {PermReadUsers},
	RoleImporter: {PermReadUsers, PermImport},
	RoleAdmin:    {PermReadUsers, PermWriteUsers, PermImport, PermSCIM, PermManageTokens},
	RoleSCIM:     {PermSCIM},
}

// Principal is the authenticated caller: one token of one tenant.
type Principal struct {
	TokenID  string
	TenantID string
	Role     Role
}

// Can reports whether the principal holds the permission.
func (p Principal) Can(perm Permission) bool {
	for _, g := range grants[p.Role] {
		if g == perm {
			return true
		}
	}
	return false
}

// Errors of authentication. Ports answer all of them the same way (401), so
// a caller learns nothing about which tokens exist.
var (
	ErrUnauthenticated = errkind.New(errkind.Unauthenticated, "unauthorized", "missing, unknown, expired or revoked token")
	ErrForbidden       = errkind.New(errkind.Forbidden, "forbidden", "the token's role does not allow this")
)

// tokenPrefix makes tokens recognisable to secret scanners and people.
const tokenPrefix = "usr_"

// NewToken returns a fresh random token (256 bits) and its hash.
func NewToken() (plaintext string, hash []byte) {
	var b [32]byte
	_, _ = rand.Read(b[:]) // never fails since Go 1.24
	plaintext = tokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	return plaintext, HashToken(plaintext)
}

// tokenLen is the length of every token NewToken issues: the prefix and 32
// bytes in unpadded base64url.
var tokenLen = len(tokenPrefix) + base64.RawURLEncoding.EncodedLen(32)

// WellFormedToken reports whether s has the shape of a token NewToken
// issues. Anything else cannot be a token, so it is refused without asking
// the store: a flood of garbage costs no database query.
func WellFormedToken(s string) bool {
	if len(s) != tokenLen || !strings.HasPrefix(s, tokenPrefix) {
		return false
	}
	for i := len(tokenPrefix); i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// HashToken is the stored form of a token. A plain SHA-256 suffices: tokens
// are 256-bit random, so there is nothing to brute-force, unlike passwords.
func HashToken(plaintext string) []byte {
	h := sha256.Sum256([]byte(plaintext))
	return h[:]
}
