package user

// Restore returns the user a snapshot describes, as FromHistory would have
// rebuilt it from the events that led there. Read models use it to apply a
// stream's next events to a stored row without reading the whole stream
// again. The snapshot must be one this package produced (Snapshot, or a read
// model written from it): Restore checks nothing.
func Restore(s Snapshot) *User {
	c := s.Contacts.clone()
	c.Emails = s.EmailList()
	return &User{id: s.ID, tenantID: s.TenantID, email: s.Email, profile: s.Profile, contacts: c, status: s.Status, version: s.Version}
}
