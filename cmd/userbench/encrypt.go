package main

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"

	"github.com/userservice/userservice/adapters/personaldata"
	"github.com/userservice/userservice/cmd/internal/config"
)

// The -encrypt switch runs every section with personal data encrypted
// (README "Personal data"): a fresh master key for the run, given to every
// service and usersctl process the benchmark starts (MASTER_KEYS) and to its
// in-process application (scripts/bench.sh: ENCRYPT=1 writes
// BENCHMARKS-encrypted.md). The cost of encryption itself is section 7
// (encryptcost.go), measured on and off in the same run.

// benchMasterKeys returns a MASTER_KEYS value with one fresh random key.
func benchMasterKeys() (string, error) {
	k := make([]byte, personaldata.MasterKeySize)
	if _, err := rand.Read(k); err != nil {
		return "", fmt.Errorf("master key: %w", err)
	}
	return "userbench=" + base64.StdEncoding.EncodeToString(k), nil
}

// encryptionEnv is the environment a started process needs for the run's
// encryption setting (none when off).
func (b *bench) encryptionEnv() []string {
	if b.opts.masterKeys == "" {
		return nil
	}
	return []string{"MASTER_KEYS=" + b.opts.masterKeys}
}

// personalKeys are the in-process application's data keys (nil when off).
func (b *bench) personalKeys() (*personaldata.Keys, error) {
	if b.opts.masterKeys == "" {
		return nil, nil
	}
	c, err := config.PersonalData(func(name string) (string, bool) {
		if name == "MASTER_KEYS" {
			return b.opts.masterKeys, true
		}
		return "", false
	})
	if err != nil {
		return nil, err
	}
	return c.Keys()
}

// encryptionLabel says, for the report, whether the run encrypted.
func (o options) encryptionLabel() string {
	if o.masterKeys == "" {
		return "off"
	}
	return "on (-encrypt: personal fields sealed with per-user data keys)"
}
