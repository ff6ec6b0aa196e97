package personaldata

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// ErrCorrupt means sealed personal data did not decrypt with the key it
// names: the data or the key was altered. (A key that is gone is no error:
// see Open.)
var ErrCorrupt = errors.New("personaldata: sealed personal data does not decrypt")

// ErrNoKeys means a process without master keys met encrypted personal
// data: configure MASTER_KEYS (the same keys as the service's).
var ErrNoKeys = errors.New("personaldata: the events hold encrypted personal data, and no master keys are configured (MASTER_KEYS)")

// IsSealed reports whether data carries sealed personal fields.
func IsSealed(data []byte) bool { return bytes.Contains(data, []byte(`"`+SealedMember+`":`)) }

// aad binds a ciphertext to its stream and stored type, so it cannot be
// moved to another user's event, or another event, and read there.
func aad(streamID [16]byte, eventType string) []byte {
	return append(streamID[:len(streamID):len(streamID)], eventType...)
}

// Seal returns data (a JSON object) with its personal members moved into
// one encrypted member, SealedMember. Data without personal members comes
// back unchanged.
func Seal(key *DataKey, streamID [16]byte, eventType string, data []byte) ([]byte, error) {
	return sealWith(func() (*DataKey, error) { return key, nil }, streamID, eventType, data)
}

// sealWith is Seal with the key asked of keyFor only once a personal member
// is found: a user's first event is scanned once, and makes the user's key
// only when it has something to seal.
func sealWith(keyFor func() (*DataKey, error), streamID [16]byte, eventType string, data []byte) ([]byte, error) {
	if !strings.HasPrefix(eventType, "user.") {
		return data, nil
	}
	if !json.Valid(data) {
		var v map[string]json.RawMessage
		return nil, fmt.Errorf("personaldata: seal %s: %w", eventType, json.Unmarshal(data, &v))
	}
	members, ok := topLevelMembers(data)
	if !ok || bytes.Contains(data, []byte(`"`+SealedMember+`"`)) {
		return sealDecoded(keyFor, streamID, eventType, data)
	}
	plainNames, _ := plainMembersOf(eventType)
	// The members keep their bytes and order: the plain ones stay in the
	// object, the personal ones make the sealed plaintext.
	// Room for the sealed member's base64 too: growing into it copied the
	// whole object once more per event.
	plain := make([]byte, 0, base64.StdEncoding.EncodedLen(len(data)+keyIDSize+sealOverhead)+len(SealedMember)+len(sealedPrefix)+8)
	personal := make([]byte, 0, len(data))
	plain, personal = append(plain, '{'), append(personal, '{')
	for _, m := range members {
		if isPersonalName(plainNames, m.name) {
			personal = appendMember(personal, m.raw)
		} else {
			plain = appendMember(plain, m.raw)
		}
	}
	if len(personal) == 1 {
		return data, nil
	}
	personal = append(personal, '}')
	if len(plain) > 1 {
		plain = append(plain, ',')
	}
	plain = append(plain, `"`+SealedMember+`":"`+sealedPrefix...)
	key, err := keyFor()
	if err != nil {
		return nil, err
	}
	sealed, err := key.seal(streamID, eventType, personal)
	if err != nil {
		return nil, err
	}
	plain = base64.StdEncoding.AppendEncode(plain, sealed)
	return append(plain, '"', '}'), nil
}

// appendMember appends a member to an object being built ('{' so far, or
// members).
func appendMember(obj, raw []byte) []byte {
	if len(obj) > 1 {
		obj = append(obj, ',')
	}
	return append(obj, raw...)
}

// sealOverhead is what AES-GCM adds to a plaintext besides the key id: its
// nonce and tag.
const sealOverhead = 12 + 16

// seal encrypts plain: key id, nonce, then AES-GCM ciphertext and tag.
func (key *DataKey) seal(streamID [16]byte, eventType string, plain []byte) ([]byte, error) {
	nonceSize := key.aead.NonceSize()
	buf := make([]byte, keyIDSize+nonceSize, keyIDSize+nonceSize+len(plain)+key.aead.Overhead())
	copy(buf, key.id[:])
	if _, err := rand.Read(buf[keyIDSize:]); err != nil {
		return nil, fmt.Errorf("personaldata: nonce: %w", err)
	}
	return key.aead.Seal(buf, buf[keyIDSize:keyIDSize+nonceSize], plain, aad(streamID, eventType)), nil
}

// sealDecoded is Seal through a decode of the members, for what
// topLevelMembers does not take (escaped names, a member already named
// SealedMember, which it replaces).
func sealDecoded(keyFor func() (*DataKey, error), streamID [16]byte, eventType string, data []byte) ([]byte, error) {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(data, &members); err != nil {
		return nil, fmt.Errorf("personaldata: seal %s: %w", eventType, err)
	}
	personal := make(map[string]json.RawMessage, len(members))
	for name, v := range members {
		if IsPersonal(eventType, name) {
			personal[name] = v
			delete(members, name)
		}
	}
	if len(personal) == 0 {
		return data, nil
	}
	plain, err := json.Marshal(personal)
	if err != nil {
		return nil, err
	}
	key, err := keyFor()
	if err != nil {
		return nil, err
	}
	buf, err := key.seal(streamID, eventType, plain)
	if err != nil {
		return nil, err
	}
	sealed, err := json.Marshal(sealedPrefix + base64.StdEncoding.EncodeToString(buf))
	if err != nil {
		return nil, err
	}
	members[SealedMember] = sealed
	return json.Marshal(members)
}

// Open returns data with its sealed personal members decrypted back in
// place. Data that was never sealed (written before encryption was on, or
// with nothing personal) comes back as it is. When key is nil or is not the
// key the data was sealed with (the person was erased, and a new key made
// since), the personal members are left out and ErasedMember is set: the
// event reads as it would with every personal field unset, never fails.
func Open(key *DataKey, streamID [16]byte, eventType string, data []byte) ([]byte, error) {
	if !IsSealed(data) {
		return data, nil
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(data, &members); err != nil {
		return nil, fmt.Errorf("personaldata: open %s: %w", eventType, err)
	}
	raw, ok := members[SealedMember]
	if !ok {
		return data, nil
	}
	delete(members, SealedMember)
	var sealed string
	if err := json.Unmarshal(raw, &sealed); err != nil || !strings.HasPrefix(sealed, sealedPrefix) {
		return nil, fmt.Errorf("%w: %s member of %s is not %s followed by the sealed bytes", ErrCorrupt, SealedMember, eventType, sealedPrefix)
	}
	buf, err := base64.StdEncoding.DecodeString(sealed[len(sealedPrefix):])
	if err != nil || len(buf) < keyIDSize {
		return nil, fmt.Errorf("%w: %s of %s: bad encoding", ErrCorrupt, SealedMember, eventType)
	}
	if key == nil || !bytes.Equal(buf[:keyIDSize], key.id[:]) {
		members[ErasedMember] = json.RawMessage("true")
		return json.Marshal(members)
	}
	nonceSize := key.aead.NonceSize()
	if len(buf) < keyIDSize+nonceSize {
		return nil, fmt.Errorf("%w: %s of %s: too short", ErrCorrupt, SealedMember, eventType)
	}
	plain, err := key.aead.Open(nil, buf[keyIDSize:keyIDSize+nonceSize], buf[keyIDSize+nonceSize:], aad(streamID, eventType))
	if err != nil {
		return nil, fmt.Errorf("%w: %s of stream %x: %v", ErrCorrupt, eventType, streamID, err)
	}
	var personal map[string]json.RawMessage
	if err := json.Unmarshal(plain, &personal); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, eventType, err)
	}
	for name, v := range personal {
		members[name] = v
	}
	return json.Marshal(members)
}
