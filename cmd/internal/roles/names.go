// Package roles runs the parts of the userservice process. A role is a named
// component with a Run(ctx) error that works until ctx is cancelled; one
// process runs any set of them, so each can be scaled on its own (several
// "importer" processes, one "api", ...).
package roles

import (
	"fmt"
	"strings"
)

// The role names, as given in ROLES / --roles.
const (
	API      = "api"
	Importer = "importer"
	Relay    = "relay"
	Notifier = "notifier"
	HRISSync = "hris-sync"
	// Directory is the Kafka-fed directory projection: a subscriber of the
	// published events inside the service, proving the path end to end.
	Directory = "directory"
	// All stands for every role.
	All = "all"
)

// Names lists every role, in the order they are started.
func Names() []string { return []string{API, Importer, Relay, Notifier, HRISSync, Directory} }

// Parse turns a comma-separated list of role names ("all" for every role)
// into the distinct names, in the order of Names. Names are case-insensitive;
// an empty list or an unknown name is an error that lists the valid ones.
func Parse(list string) ([]string, error) {
	want := map[string]bool{}
	var unknown []string
	for _, n := range strings.Split(list, ",") {
		n = strings.ToLower(strings.TrimSpace(n))
		switch {
		case n == "":
		case n == All:
			for _, r := range Names() {
				want[r] = true
			}
		case isRole(n):
			want[n] = true
		default:
			unknown = append(unknown, fmt.Sprintf("%q", n))
		}
	}
	valid := strings.Join(Names(), ", ") + " or " + All
	if len(unknown) > 0 {
		return nil, fmt.Errorf("unknown role %s: valid roles are %s", strings.Join(unknown, ", "), valid)
	}
	if len(want) == 0 {
		return nil, fmt.Errorf("no role given: valid roles are %s", valid)
	}
	var out []string
	for _, r := range Names() {
		if want[r] {
			out = append(out, r)
		}
	}
	return out, nil
}

func isRole(n string) bool {
	for _, r := range Names() {
		if r == n {
			return true
		}
	}
	return false
}
