package postgres

import (
	"fmt"

	"github.com/userservice/userservice/domain/user"
)

// snapshotJSON is a user snapshot as recorded in a command's outcome.
type snapshotJSON struct {
	ID       string `json:"id"`
	TenantID string `json:"tenant_id"`
	Email    string `json:"email"`
	user.Profile
	user.Contacts
	Status  user.Status `json:"status"`
	Version int         `json:"version"`
}

func toSnapshotJSON(s user.Snapshot) snapshotJSON {
	return snapshotJSON{ID: s.ID.String(), TenantID: s.TenantID, Email: s.Email, Profile: s.Profile, Contacts: s.Contacts, Status: s.Status, Version: s.Version}
}

func (s snapshotJSON) snapshot() (user.Snapshot, error) {
	id, err := user.ParseID(s.ID)
	if err != nil {
		return user.Snapshot{}, fmt.Errorf("recorded outcome: %w", err)
	}
	snap := user.Snapshot{ID: id, TenantID: s.TenantID, Email: s.Email, Profile: s.Profile, Contacts: s.Contacts, Status: s.Status, Version: s.Version}
	snap.Emails = snap.EmailList() // an outcome recorded before the list
	return snap, nil
}
