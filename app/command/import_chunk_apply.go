package command

import (
	"slices"
	"unicode/utf8"

	"github.com/userservice/userservice/domain/user"
)

// apply decides a row's command on the chunk's working state, makes the
// checks the unit of work leaves to the database, and on success moves the
// working state on.
func (d *chunkDecision) apply(r ImportUserRow, creating bool, ex Execution) (RowOutcome, *PlannedCommand, error) {
	var current *user.User
	if c, ok := d.users[ex.StreamID]; ok && !creating {
		cp := *c
		current = &cp
	}
	looked := false
	events, err := ex.Decide(current, func(id user.ID) ([]user.ID, error) {
		looked = true
		return d.reportingLine(id)
	})
	var next *user.User
	if err == nil && len(events) > 0 {
		next, err = d.check(ex.StreamID, current, events)
	}
	switch {
	case err != nil && IsRejection(err):
		return rejected(r.Row, failuresOf(r.Row, err)...), nil, nil
	case err != nil:
		return RowOutcome{}, nil, err
	case len(events) == 0:
		return RowOutcome{Outcome: OutcomeUnchanged, UserID: ex.StreamID.String()}, nil, nil
	}
	if looked && current != nil {
		d.plan.LocksManagers = true
	}
	d.moveOn(current, next, events)
	o := OutcomeUpdated
	if creating {
		o = OutcomeCreated
	}
	return RowOutcome{Outcome: o, UserID: ex.StreamID.String()},
		&PlannedCommand{Execution: ex, Current: current, Events: events}, nil
}

// maxReportingLine bounds the walk up a reporting line, as the unit of
// work's query does, so a corrupt (cyclic) line cannot loop forever.
const maxReportingLine = 10000

// reportingLine answers the domain's manager question on the working
// state: the user and the managers above them, nearest first.
func (d *chunkDecision) reportingLine(id user.ID) ([]user.ID, error) {
	u, ok := d.users[id]
	if !ok || u.Status() == user.StatusDeleted {
		return nil, user.ErrManagerNotFound
	}
	chain := []user.ID{id}
	for cur := id; len(chain) <= maxReportingLine; {
		next, ok := d.managers[cur]
		if !ok || next.IsZero() {
			break
		}
		chain = append(chain, next)
		cur = next
	}
	return chain, nil
}

// check makes the unit of work's database checks, in its order: the read
// model's unique e-mail, then external id, then the seats. It returns the
// user after the events.
func (d *chunkDecision) check(id user.ID, current *user.User, events []user.Event) (*user.User, error) {
	var next *user.User
	if current == nil {
		u, err := user.FromHistory(id, events)
		if err != nil {
			return nil, err
		}
		next = u
	} else {
		cp := *current
		for _, e := range events {
			cp.Apply(e)
		}
		next = &cp
	}
	s := next.Snapshot()
	if s.Status != user.StatusDeleted {
		if holder, ok := d.byEmail[s.Email]; ok && holder != id {
			return nil, user.ErrEmailTaken
		}
		if holder, ok := d.byExt[s.ExternalID]; ok && s.ExternalID != "" && holder != id {
			return nil, user.ErrExternalIDTaken
		}
	}
	var from user.Status
	if current != nil {
		from = current.Status()
	}
	if delta := user.SeatDelta(from, events); delta > 0 && d.seats+delta > d.view.SeatLimit {
		return nil, user.ErrSeatsExhausted
	}
	return next, nil
}

// moveOn makes the working state the state after a row's events.
func (d *chunkDecision) moveOn(current, next *user.User, events []user.Event) {
	var from user.Status
	var prev *user.Snapshot
	if current != nil {
		from = current.Status()
		s := current.Snapshot()
		prev = &s
	}
	d.seats += user.SeatDelta(from, events)
	s := next.Snapshot()
	d.users[s.ID] = next
	d.updated[s.ID] = d.view.Now
	d.index(prev, s)
}

// index files a user's keys and manager, replacing those of prev.
func (d *chunkDecision) index(prev *user.Snapshot, s user.Snapshot) {
	if prev != nil {
		if d.byEmail[prev.Email] == s.ID {
			delete(d.byEmail, prev.Email)
		}
		if prev.ExternalID != "" && d.byExt[prev.ExternalID] == s.ID {
			delete(d.byExt, prev.ExternalID)
		}
	}
	if s.Status == user.StatusDeleted {
		return
	}
	d.byEmail[s.Email] = s.ID
	if s.ExternalID != "" {
		d.byExt[s.ExternalID] = s.ID
	}
	delete(d.managers, s.ID)
	if m, err := user.ParseID(s.ManagerID); err == nil {
		d.managers[s.ID] = m
	}
}

// managersFirst orders a chunk's rows so that a row whose manager's row is
// in the chunk comes after it; otherwise the rows keep their order. (Loops
// were refused before the rows were queued; one met here is just cut.)
func managersFirst(rows []ImportUserRow) []ImportUserRow {
	at := make(map[int]int, len(rows))
	for i, r := range rows {
		at[r.Row] = i
	}
	state := make([]uint8, len(rows)) // 0 unseen, 1 on the path, 2 placed
	out := make([]ImportUserRow, 0, len(rows))
	for i := range rows {
		var path []int
		for j := i; state[j] == 0; {
			state[j] = 1
			path = append(path, j)
			m, ok := at[rows[j].ManagerRow]
			if !ok || m == j {
				break
			}
			j = m
		}
		slices.Reverse(path)
		for _, j := range path {
			state[j] = 2
			out = append(out, rows[j])
		}
	}
	return out
}

// MaxStoredText caps, in bytes, each text an import stores or sends per
// row (a failure's message, an outcome's detail): a message quoting a cell
// of the file must not make storage or notices grow with the cell.
const MaxStoredText = 500

// CapText cuts s to MaxStoredText bytes, on a character boundary.
func CapText(s string) string {
	if len(s) <= MaxStoredText {
		return s
	}
	cut := MaxStoredText - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
