package query

import (
	"context"
	"fmt"
	"time"

	"github.com/userservice/userservice/domain/user"
)

// ExportUser asks for everything the service holds about one person (GDPR
// Art. 15): their profile, the history of its changes with the source of
// each, the import rows that named them and the notices about those
// imports, and the commands recorded against them.
type ExportUser struct {
	TenantID string
	UserID   user.ID
}

// UserExport is the answer to ExportUser.
type UserExport struct {
	// User is the current profile; nil when the user was deleted (the
	// history still shows it, unless they were erased).
	User *user.Snapshot
	// Events are the user's events, decrypted, oldest first; each says which
	// way in (Source) and who (Actor) caused it.
	Events []RecordedEvent
	// ImportRows are the rows of imports that created or updated the user.
	ImportRows []ExportedImportRow
	// Notices are the import notices sent (or due) about those imports.
	Notices []ExportedNotice
	// Commands are the commands recorded against the user.
	Commands   []ExportedCommand
	ExportedAt time.Time
}

// ExportedImportRow is one import row that named the user.
type ExportedImportRow struct {
	JobID      string
	Source     string
	Row        int
	Outcome    string
	Detail     string
	Failures   []string
	RecordedAt time.Time
}

// ExportedNotice is one notice about an import that named the user.
type ExportedNotice struct {
	ID, JobID, Channel, Status string
	CreatedAt                  time.Time
}

// ExportedCommand is one recorded command on the user.
type ExportedCommand struct {
	ID, Type, Source, Actor string
	Payload                 []byte
	RecordedAt              time.Time
}

// PersonalDataExporter reads everything held about one user; a user of
// another tenant, or none, is user.ErrNotFound.
type PersonalDataExporter interface {
	ExportUser(ctx context.Context, tenantID string, id user.ID) (UserExport, error)
}

// ExportUserHandler handles ExportUser.
type ExportUserHandler Handler[ExportUser, UserExport]

// exportUserHandler is ExportUserHandler built by its constructor.
type exportUserHandler struct {
	exporter PersonalDataExporter
	now      func() time.Time
}

// NewExportUserHandler returns the ExportUser handler.
func NewExportUserHandler(exporter PersonalDataExporter, now func() time.Time) (ExportUserHandler, error) {
	if exporter == nil || now == nil {
		return nil, fmt.Errorf("NewExportUserHandler: nil exporter or clock")
	}
	return exportUserHandler{exporter: exporter, now: now}, nil
}

// Handle returns the export, or user.ErrNotFound.
func (h exportUserHandler) Handle(ctx context.Context, q ExportUser) (UserExport, error) {
	out, err := h.exporter.ExportUser(ctx, q.TenantID, q.UserID)
	if err != nil {
		return UserExport{}, err
	}
	out.ExportedAt = h.now().UTC()
	return out, nil
}
