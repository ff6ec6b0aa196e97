// Package notify delivers import notices to a tenant's admins: by e-mail
// over SMTP and by a webhook whose body is signed with HMAC-SHA256. Notifier
// is the notifier role, which drains the durable notification queue.
package notify

import (
	"fmt"
	"strings"

	"github.com/userservice/userservice/app/command"
)

// subject is the notice's one-line summary.
func subject(n command.Notice) string {
	j := n.Job
	if j.Status == "failed" {
		return fmt.Sprintf("[userservice] %s import %s failed", sourceName(j.Source), j.ID)
	}
	return fmt.Sprintf("[userservice] %s import %s finished with %d rejected and %d parked rows",
		sourceName(j.Source), j.ID, j.Rejected, j.Parked)
}

func sourceName(source string) string {
	if source == "hris" {
		return "HRIS"
	}
	return "CSV"
}

// text is the notice as plain text; linkBase prefixes the failures' link.
func text(n command.Notice, linkBase string) string {
	j := n.Job
	var b strings.Builder
	fmt.Fprintf(&b, "%s import job %s (started %s) ended: %s.\n", sourceName(j.Source), j.ID,
		j.CreatedAt.UTC().Format("2006-01-02 15:04 MST"), j.Status)
	if j.Error != "" {
		fmt.Fprintf(&b, "Error: %s\n", clip(j.Error))
	}
	if j.Status == "failed" && j.Source == "hris" {
		b.WriteString("Nothing of this sync was applied; the next scheduled sync tries again.\n")
	}
	fmt.Fprintf(&b, "\nRows: %d in total, %d created, %d updated, %d unchanged, %d skipped, %d rejected, %d parked.\n",
		j.Total, j.Created, j.Updated, j.Unchanged, j.Skipped, j.Rejected, j.Parked)
	if len(n.Failures) > 0 {
		fmt.Fprintf(&b, "\nRejected rows:\n")
		for _, f := range n.Failures {
			field := f.Field
			if field == "" {
				field = "row"
			}
			fmt.Fprintf(&b, "  row %d, %s: %s (%s)\n", f.Row, clip(field), clip(f.Message), clip(f.Code))
		}
		if n.MoreFailures > 0 {
			fmt.Fprintf(&b, "  ... and %d more.\n", n.MoreFailures)
		}
	}
	if j.Parked > 0 {
		fmt.Fprintf(&b, "\nParked rows failed on every attempt for reasons of ours, not of the data; "+
			"retry them with `usersctl imports retry %s` once the cause is fixed.\n", j.ID)
	}
	fmt.Fprintf(&b, "\nAll failures: GET %s/v1/imports/%s/failures (add ?format=csv for a spreadsheet).\n",
		strings.TrimSuffix(linkBase, "/"), j.ID)
	return b.String()
}
