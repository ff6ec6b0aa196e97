package config

import (
	"fmt"
	"strconv"
)

// Commands holds the settings of the command path's group commit (see
// postgres.GroupCommitConfig).
type Commands struct {
	// CommandGroupMax is the most commands that arrive together and are
	// applied in one transaction (COMMAND_GROUP_MAX, 2 to 60); 1 turns group
	// commit off (every command its own transaction).
	CommandGroupMax int
	// CommandGroupsInFlight is how many transactions the command path runs
	// at once per tenant and process before the tenant's commands wait to be
	// grouped (COMMAND_GROUPS_IN_FLIGHT).
	CommandGroupsInFlight int
}

func commandSettings() []setting {
	return []setting{
		{"COMMAND_GROUP_MAX", "command-group-max", "32", "most concurrent commands applied in one transaction (2 to 60); 1 = no group commit", parseCommandGroupMax},
		{"COMMAND_GROUPS_IN_FLIGHT", "command-groups-in-flight", "2", "command transactions per tenant and process at once before the tenant's commands are grouped", parseCommandGroupsInFlight},
	}
}

func parseCommandGroupMax(raw string, c *Config) error {
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 || n > 60 {
		return fmt.Errorf("%q: want a whole number from 1 (no group commit) to 60", raw)
	}
	c.CommandGroupMax = n
	return nil
}

func parseCommandGroupsInFlight(raw string, c *Config) error {
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 || n > 1000 {
		return fmt.Errorf("%q: want a whole number from 1 to 1000", raw)
	}
	c.CommandGroupsInFlight = n
	return nil
}
