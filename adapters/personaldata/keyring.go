package personaldata

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"sort"
)

// MasterKeySize is the size of a master key and of a data key: AES-256.
const MasterKeySize = 32

// keyIDSize is the size of a data key's id, which every ciphertext carries
// so a reader can tell "this user's key is gone" from "this is corrupt".
const keyIDSize = 16

// ErrUnknownMasterKey means a data key is wrapped by a master key that is
// not configured: the key (and every personal field it protects) cannot be
// read until that master key is configured again. See README "Personal
// data", "A lost master key".
var ErrUnknownMasterKey = errors.New("personaldata: data key wrapped by a master key that is not configured")

// Keyring holds the configured master keys: the active one wraps new data
// keys, and every one of them unwraps. During a rotation both the old and
// the new key are configured, the new one active.
type Keyring struct {
	active string
	aeads  map[string]cipher.AEAD
}

// NewKeyring returns a keyring of keys (id -> 32 random bytes) whose active
// key is active. Ids are short names ("2026-12"), stored with every wrapped
// data key.
func NewKeyring(active string, keys map[string][]byte) (*Keyring, error) {
	var errs []error
	k := &Keyring{active: active, aeads: make(map[string]cipher.AEAD, len(keys))}
	ids := make([]string, 0, len(keys))
	for id := range keys {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		key := keys[id]
		if id == "" || len(id) > 64 {
			errs = append(errs, fmt.Errorf("master key id %q: want 1 to 64 characters", id))
			continue
		}
		if len(key) != MasterKeySize {
			errs = append(errs, fmt.Errorf("master key %q: want %d bytes, got %d", id, MasterKeySize, len(key)))
			continue
		}
		aead, err := newAEAD(key)
		if err != nil {
			errs = append(errs, fmt.Errorf("master key %q: %w", id, err))
			continue
		}
		k.aeads[id] = aead
	}
	if _, ok := keys[active]; !ok {
		errs = append(errs, fmt.Errorf("active master key %q is not among the configured keys", active))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return k, nil
}

// Active is the id of the master key that wraps new data keys.
func (k *Keyring) Active() string { return k.active }

// retired are the ids of the configured master keys other than the active
// one: what a rotation re-wraps from.
func (k *Keyring) retired() []string {
	var ids []string
	for id := range k.aeads {
		if id != k.active {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// DataKey is one user's data key, unwrapped.
type DataKey struct {
	id   [keyIDSize]byte
	aead cipher.AEAD
	raw  [MasterKeySize]byte
}

// newDataKey makes a fresh random data key.
func newDataKey() (*DataKey, error) {
	var plain [keyIDSize + MasterKeySize]byte
	if _, err := rand.Read(plain[:]); err != nil {
		return nil, fmt.Errorf("personaldata: random data key: %w", err)
	}
	return dataKeyFrom(plain[:])
}

func dataKeyFrom(plain []byte) (*DataKey, error) {
	if len(plain) != keyIDSize+MasterKeySize {
		return nil, errors.New("personaldata: data key of the wrong size")
	}
	d := &DataKey{}
	copy(d.id[:], plain[:keyIDSize])
	copy(d.raw[:], plain[keyIDSize:])
	aead, err := newAEAD(d.raw[:])
	if err != nil {
		return nil, err
	}
	d.aead = aead
	return d, nil
}

// wrap encrypts a data key with the active master key. The wrapped form
// names its master key (one length byte, the id, then nonce and
// ciphertext), so readers need only this one column. The user id is the
// additional data: a wrapped key copied onto another user's row does not
// unwrap.
func (k *Keyring) wrap(userID [16]byte, d *DataKey) ([]byte, error) {
	aead := k.aeads[k.active]
	out := make([]byte, 0, 1+len(k.active)+aead.NonceSize()+keyIDSize+MasterKeySize+aead.Overhead())
	out = append(append(out, byte(len(k.active))), k.active...)
	nonce := out[len(out) : len(out)+aead.NonceSize()]
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("personaldata: nonce: %w", err)
	}
	out = out[:len(out)+len(nonce)]
	plain := append(d.id[:len(d.id):len(d.id)], d.raw[:]...)
	return aead.Seal(out, nonce, plain, userID[:]), nil
}

// masterKeyOf is the id of the master key that wrapped a data key.
func masterKeyOf(wrapped []byte) (string, []byte, error) {
	if len(wrapped) < 1 || len(wrapped) < 1+int(wrapped[0]) {
		return "", nil, errors.New("personaldata: wrapped data key too short")
	}
	n := int(wrapped[0])
	return string(wrapped[1 : 1+n]), wrapped[1+n:], nil
}

// unwrap decrypts a wrapped data key.
func (k *Keyring) unwrap(userID [16]byte, wrapped []byte) (*DataKey, error) {
	masterID, rest, err := masterKeyOf(wrapped)
	if err != nil {
		return nil, err
	}
	aead, ok := k.aeads[masterID]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownMasterKey, masterID)
	}
	if len(rest) < aead.NonceSize() {
		return nil, errors.New("personaldata: wrapped data key too short")
	}
	plain, err := aead.Open(nil, rest[:aead.NonceSize()], rest[aead.NonceSize():], userID[:])
	if err != nil {
		return nil, fmt.Errorf("personaldata: unwrap data key of %x with master key %q: %w", userID, masterID, err)
	}
	return dataKeyFrom(plain)
}
