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
	if !strings.HasPrefix(eventType, "user.") {
		return false
	}
	name := eventType
	if i := strings.LastIndex(eventType, ".v"); i > 0 {
		name = eventType[:i]
	}
	for _, m := range plainMembers[name] {
		if m == member {
			return false
		}
	}
	return member != SealedMember && member != ErasedMember
}
