package main

import (
	"fmt"
	"sort"
	"strings"

	"github.com/userservice/userservice/adapters/eventcontract"
	"github.com/userservice/userservice/domain/user"
)

// tailTimeLayout is RFC 3339 in UTC with milliseconds: fixed width, sortable.
const tailTimeLayout = "2006-01-02T15:04:05.000Z07:00"

// maxRawData bounds the data shown for a type this build does not know.
const maxRawData = 120

// formatEvent is one line of events tail: time, type, tenant, subject,
// stream version, id, then a summary of the data. Values are quoted where
// they may hold spaces, so the line stays one line and splits on spaces.
func formatEvent(ev eventcontract.Event) string {
	line := fmt.Sprintf("%s %s tenant=%s subject=%s v=%d id=%s",
		ev.Time.UTC().Format(tailTimeLayout), ev.Type, ev.TenantID, ev.Subject, ev.StreamVersion, ev.ID)
	if s := summarize(ev); s != "" {
		line += " " + s
	}
	return line
}

// summarize is the data in brief: what a newcomer wants to see at a glance.
func summarize(ev eventcontract.Event) string {
	switch d := ev.Data.(type) {
	case user.Registered:
		s := fmt.Sprintf("email=%s name=%q", d.Email, strings.TrimSpace(d.GivenName+" "+d.FamilyName))
		if d.Department != "" {
			s += fmt.Sprintf(" department=%q", d.Department)
		}
		return s
	case user.ProfileChanged:
		fields := make([]string, 0, len(d.Changes))
		for f := range d.Changes {
			fields = append(fields, f)
		}
		sort.Strings(fields)
		parts := make([]string, len(fields))
		for i, f := range fields {
			parts[i] = fmt.Sprintf("%s=%q->%q", f, d.Changes[f].Old, d.Changes[f].New)
		}
		return strings.Join(parts, " ")
	case user.EmailChanged:
		return fmt.Sprintf("email=%s->%s", d.OldEmail, d.NewEmail)
	case user.Deactivated:
		var parts []string
		if d.Cause != "" {
			parts = append(parts, "cause="+string(d.Cause))
		}
		if d.Reason != "" {
			parts = append(parts, fmt.Sprintf("reason=%q", d.Reason))
		}
		return strings.Join(parts, " ")
	case user.Reactivated:
		return ""
	}
	raw := strings.Join(strings.Fields(string(ev.RawData())), " ") // one line, whatever the producer sent
	if len(raw) > maxRawData {
		raw = raw[:maxRawData] + "..."
	}
	return "(type unknown to this usersctl) data=" + raw
}
