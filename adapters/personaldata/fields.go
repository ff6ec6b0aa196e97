package personaldata

import "strings"

// SealedMember is the data member that carries an event's personal fields,
// encrypted: "pd1." and the standard base64 of key id, nonce and AES-GCM
// ciphertext of a JSON object of those fields. See docs/personal-data.md.
const SealedMember = "personal"

// ErasedMember is set (true) in place of SealedMember on data whose key is
// gone: the person was erased, and their personal fields with them.
const ErasedMember = "personal_erased"

// sealedPrefix versions the ciphertext format.
const sealedPrefix = "pd1."

// plainMembers are, per event name (the type without its version), the data
// members that are NOT personal and stay readable. Every other member of a
// user event is personal: a field added to an event later is encrypted
// until someone decides, here and in docs/personal-data.md, that it is not.
var plainMembers = map[string][]string{
	"user.registered":  {"tenant_id"},
	"user.deactivated": {"cause"},
	"user.erased":      {"basis"},
}

// IsPersonal reports whether a data member of an event type holds personal
// data. Events of other aggregates (group.*) carry none.
func IsPersonal(eventType, member string) bool {
	plain, ok := plainMembersOf(eventType)
	return ok && isPersonalName(plain, []byte(member))
}

// plainMembersOf is the non-personal members of an event type (ok false:
// not a user event, nothing in it is personal).
func plainMembersOf(eventType string) (plain []string, ok bool) {
	if !strings.HasPrefix(eventType, "user.") {
		return nil, false
	}
	name := eventType
	if i := strings.LastIndex(eventType, ".v"); i > 0 {
		name = eventType[:i]
	}
	return plainMembers[name], true
}

// isPersonalName is IsPersonal for a user event whose plain members are
// plain, on a name as raw bytes (no string made per member).
func isPersonalName(plain []string, name []byte) bool {
	for _, m := range plain {
		if m == string(name) {
			return false
		}
	}
	return string(name) != SealedMember && string(name) != ErasedMember
}
