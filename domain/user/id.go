package user

import (
	"encoding/hex"
)

// ID identifies a user (and its event stream): a UUID. The application makes
// version 7 ones, so ids sort by creation time and index well; the domain
// only needs to compare, parse and print them.
type ID [16]byte

// ErrInvalidID is returned by ParseID for anything but a canonical UUID. Its
// kind is not found: a malformed id names no user, and answering it like a
// missing one tells a caller nothing about which ids exist.
var ErrInvalidID = newError(kindNotFound, "not_found", "invalid id: want a UUID like 0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b")

// ParseID parses the canonical 36-character form, case-insensitively.
func ParseID(s string) (ID, error) {
	var id ID
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return id, ErrInvalidID
	}
	hexDigits := s[0:8] + s[9:13] + s[14:18] + s[19:23] + s[24:36]
	if _, err := hex.Decode(id[:], []byte(hexDigits)); err != nil {
		return ID{}, ErrInvalidID
	}
	return id, nil
}

// String returns the canonical lower-case form.
func (id ID) String() string {
	var b [36]byte
	hex.Encode(b[0:8], id[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], id[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], id[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], id[8:10])
	b[23] = '-'
	hex.Encode(b[24:], id[10:])
	return string(b[:])
}

// IsZero reports whether id is the zero value.
func (id ID) IsZero() bool { return id == ID{} }
