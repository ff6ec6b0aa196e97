package console

import (
	"encoding/json"
	"sort"
	"strings"
	"time"
)

// apiEvent is one entry of GET /v1/users/{id}/events.
type apiEvent struct {
	Type       string          `json:"type"`
	Version    int             `json:"version"`
	OccurredAt time.Time       `json:"occurred_at"`
	Data       json.RawMessage `json:"data"`
	Actor      *string         `json:"actor"`
	Source     *string         `json:"source"`
}

// historyEntry is an event as the history shows it: what happened, who did
// it, from where, and the field-by-field change.
type historyEntry struct {
	What    string
	Version int
	When    time.Time
	Actor   string
	Source  string
	Changes []change
}

type change struct {
	Field, Old, New string
}

// eventNames say what each event type means; an unknown type shows as is.
var eventNames = map[string]string{
	"user.registered.v1":      "Created",
	"user.registered.v2":      "Created",
	"user.profile_changed.v1": "Profile changed",
	"user.profile_changed.v2": "Profile changed",
	"user.email_changed.v1":   "E-mail changed",
	"user.deactivated.v1":     "Deactivated",
	"user.deactivated.v2":     "Deactivated",
	"user.reactivated.v1":     "Reactivated",
	"user.deleted.v1":         "Deleted",
}

// history turns the events, oldest first, into entries, newest first.
func history(events []apiEvent) []historyEntry {
	out := make([]historyEntry, 0, len(events))
	for i := len(events) - 1; i >= 0; i-- {
		e := events[i]
		h := historyEntry{What: eventNames[e.Type], Version: e.Version, When: e.OccurredAt,
			Actor: deref(e.Actor), Source: deref(e.Source), Changes: changesOf(e)}
		if h.What == "" {
			h.What = e.Type
		}
		out = append(out, h)
	}
	return out
}

// changesOf reads an event's data into changes. The shapes are the event
// contract's (README, "The event contract"); any other data shows each of its
// fields as a new value, so a new event type is never hidden.
func changesOf(e apiEvent) []change {
	var data map[string]any
	_ = json.Unmarshal(e.Data, &data)
	switch {
	case strings.HasPrefix(e.Type, "user.profile_changed."):
		// changes holds {old, new} per scalar field; a list (emails, phone
		// numbers, addresses) is its own key with its whole old and new value.
		pairs := map[string]any{}
		if c, ok := data["changes"].(map[string]any); ok {
			for k, v := range c {
				pairs[k] = v
			}
		}
		for k, v := range data {
			if k != "changes" {
				pairs[k] = v
			}
		}
		var out []change
		for k, v := range pairs {
			c, _ := v.(map[string]any)
			out = append(out, change{Field: labelOf(k), Old: displayValue(c["old"]), New: displayValue(c["new"])})
		}
		sort.Slice(out, func(i, j int) bool { return out[i].Field < out[j].Field })
		return out
	case e.Type == "user.email_changed.v1":
		return []change{{Field: labelOf("email"), Old: displayValue(data["old_email"]), New: displayValue(data["new_email"])}}
	case strings.HasPrefix(e.Type, "user.deactivated."):
		out := []change{{Field: "Status", Old: "active", New: "deactivated"}}
		return append(out, valuesOf(data, "tenant_id")...)
	case e.Type == "user.reactivated.v1":
		return []change{{Field: "Status", Old: "deactivated", New: "active"}}
	case e.Type == "user.deleted.v1":
		return append([]change{{Field: "Status", New: "deleted"}}, valuesOf(data)...)
	default:
		return valuesOf(data, "tenant_id")
	}
}

// valuesOf lists data's non-empty fields as new values, in the order of
// userFields, then the rest sorted.
func valuesOf(data map[string]any, skip ...string) []change {
	var out []change
	seen := map[string]bool{}
	for _, s := range skip {
		seen[s] = true
	}
	add := func(k string) {
		if seen[k] {
			return
		}
		seen[k] = true
		if v := displayValue(data[k]); v != "" {
			out = append(out, change{Field: labelOf(k), New: v})
		}
	}
	for _, f := range userFields {
		add(f.Key)
	}
	keys := make([]string, 0, len(data))
	for k := range data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		add(k)
	}
	return out
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
