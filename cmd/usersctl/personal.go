package main

import (
	"github.com/userservice/userservice/adapters/personaldata"
	"github.com/userservice/userservice/adapters/projection"
	"github.com/userservice/userservice/cmd/internal/config"
)

// personalKeys builds the data keys from MASTER_KEYS / MASTER_KEY_ACTIVE,
// as the service does (nil when none are configured).
func personalKeys(e env) (*personaldata.Keys, error) {
	c, err := config.PersonalData(e.lookupEnv)
	if err != nil {
		return nil, usageError("%v", err)
	}
	return c.Keys()
}

// eventOpener is keys as a reader's Opener: none (a nil interface, not a
// nil *Keys) when encryption is off.
func eventOpener(keys *personaldata.Keys) projection.Opener {
	if keys == nil {
		return nil
	}
	return keys
}
