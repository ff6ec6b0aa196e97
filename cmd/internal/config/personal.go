package config

import (
	"encoding/base64"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/userservice/userservice/adapters/personaldata"
)

// The settings of personal data (README "Personal data"): the master keys
// that wrap the users' data keys, what SCIM DELETE does, and how long
// import rows, failures and notices keep personal data.

// SCIM DELETE behaviours (SCIM_DELETE).
const (
	SCIMDeleteDelete = "delete"
	SCIMDeleteErase  = "erase"
)

// PersonalDataConfig configures the encryption and erasure of personal data.
type PersonalDataConfig struct {
	// MasterKeys are the master keys, id -> 32 bytes (MASTER_KEYS:
	// "id=base64,id=base64"). None: personal data is stored in clear.
	MasterKeys map[string]Secret
	// MasterKeyActive is the id of the key that wraps new data keys
	// (MASTER_KEY_ACTIVE); default the only key, when there is one.
	MasterKeyActive string
	// SCIMDelete is SCIMDeleteDelete or SCIMDeleteErase (SCIM_DELETE).
	SCIMDelete string
	// Retention is how long personal data in import rows, failures and
	// notices is kept after their job finished; 0 keeps it
	// (PERSONAL_DATA_RETENTION).
	Retention time.Duration
}

// Encrypted reports whether master keys are configured.
func (p PersonalDataConfig) Encrypted() bool { return len(p.MasterKeys) > 0 }

// Keyring builds the keyring of the configured master keys (nil when none).
func (p PersonalDataConfig) Keyring() (*personaldata.Keyring, error) {
	if !p.Encrypted() {
		return nil, nil
	}
	keys := make(map[string][]byte, len(p.MasterKeys))
	for id, k := range p.MasterKeys {
		keys[id] = []byte(k.Reveal())
	}
	return personaldata.NewKeyring(p.MasterKeyActive, keys)
}

// Keys builds the data keys of the configured master keys (nil when none).
func (p PersonalDataConfig) Keys() (*personaldata.Keys, error) {
	ring, err := p.Keyring()
	if err != nil || ring == nil {
		return nil, err
	}
	return personaldata.NewKeys(ring)
}

func personalSettings() []setting {
	return []setting{
		{"MASTER_KEYS", "master-keys", "", "master keys wrapping the users' data keys, id=base64(32 bytes),...; empty = personal data in clear", parseMasterKeys},
		{"MASTER_KEY_ACTIVE", "master-key-active", "", "id of the master key that wraps new data keys; default the only one", parseMasterKeyActive},
		{"SCIM_DELETE", "scim-delete", SCIMDeleteDelete, "what SCIM DELETE /Users/{id} does: delete or erase", parseSCIMDelete},
		{"PERSONAL_DATA_RETENTION", "personal-data-retention", "2160h", "how long import rows, failures and notices keep personal data; 0 = for ever", parseRetention},
	}
}

// parseMasterKeys never echoes a key: errors name the entry by its id or
// position only.
func parseMasterKeys(raw string, c *Config) error {
	keys := map[string]Secret{}
	var errs []error
	for i, entry := range strings.Split(raw, ",") {
		if entry = strings.TrimSpace(entry); entry == "" {
			continue
		}
		id, b64, ok := strings.Cut(entry, "=")
		id = strings.TrimSpace(id)
		if !ok || id == "" {
			errs = append(errs, fmt.Errorf("entry %d: want id=base64", i+1))
			continue
		}
		key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
		if err != nil || len(key) != personaldata.MasterKeySize {
			errs = append(errs, fmt.Errorf("key %q: want the standard base64 of %d random bytes (openssl rand -base64 32)", id, personaldata.MasterKeySize))
			continue
		}
		if _, dup := keys[id]; dup {
			errs = append(errs, fmt.Errorf("key %q given twice", id))
		}
		keys[id] = Secret(key)
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if len(keys) == 0 {
		return nil
	}
	c.Personal.MasterKeys = keys
	if len(keys) == 1 && c.Personal.MasterKeyActive == "" {
		for id := range keys {
			c.Personal.MasterKeyActive = id
		}
	}
	return nil
}

func parseMasterKeyActive(raw string, c *Config) error {
	if raw != "" {
		c.Personal.MasterKeyActive = raw
	}
	return nil
}

func parseSCIMDelete(raw string, c *Config) error {
	switch raw {
	case SCIMDeleteDelete, SCIMDeleteErase:
		c.Personal.SCIMDelete = raw
		return nil
	}
	return fmt.Errorf("%q: want %s or %s", raw, SCIMDeleteDelete, SCIMDeleteErase)
}

func parseRetention(raw string, c *Config) error {
	d, err := time.ParseDuration(raw)
	if raw == "0" {
		d, err = 0, nil
	}
	if err != nil || d < 0 {
		return fmt.Errorf("%q is not a duration such as 2160h (0 = keep)", raw)
	}
	c.Personal.Retention = d
	return nil
}

// checkPersonal checks the keys together: the active one must be among them.
func checkPersonal(c Config) []error {
	p := c.Personal
	if !p.Encrypted() {
		if p.MasterKeyActive != "" {
			return []error{errors.New("MASTER_KEY_ACTIVE: set, but MASTER_KEYS is empty")}
		}
		return nil
	}
	if _, ok := p.MasterKeys[p.MasterKeyActive]; !ok {
		ids := make([]string, 0, len(p.MasterKeys))
		for id := range p.MasterKeys {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		return []error{fmt.Errorf("MASTER_KEY_ACTIVE: %q is not one of the MASTER_KEYS ids %q", p.MasterKeyActive, ids)}
	}
	return nil
}

// PersonalData reads just the personal data settings from lookupEnv, with
// the same validation as Load, for tools such as usersctl.
func PersonalData(lookupEnv func(string) (string, bool)) (PersonalDataConfig, error) {
	var c Config
	var errs []error
	for _, s := range personalSettings() {
		raw := s.def
		if v, ok := lookupEnv(s.env); ok {
			raw = v
		}
		if err := s.parse(strings.TrimSpace(raw), &c); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", s.env, err))
		}
	}
	if len(errs) == 0 {
		errs = checkPersonal(c)
	}
	return c.Personal, errors.Join(errs...)
}
