package command

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/userservice/userservice/domain/user"
)

// DecideChunk decides a chunk's rows in memory, on the state in view, one
// row after another, exactly as applying them one at a time through the
// command handlers would: the same commands (RegisterUser, UpdateUser,
// DeactivateUser) with the same payloads and idempotency keys, the same
// domain decisions, and the checks the unit of work leaves to the database
// (e-mail and external id unique among users not deleted, seats) made on
// the chunk's working state, in the order the database makes them. Each row
// sees what the rows before it did.
//
// It writes nothing and needs nothing but view: a dry run (issue 14) can
// call it and report the plan. Rows whose manager's row of the same chunk
// comes later are decided after it; rows whose manager's row is elsewhere
// and has no outcome yet wait (ChunkPlan.Deferred).
func DecideChunk(view ChunkView, rows []ImportUserRow, cfg ImportUserRowConfig, newID func() (user.ID, error)) (ChunkPlan, error) {
	cfg.setDefaults()
	d := &chunkDecision{view: view, cfg: cfg, newID: newID, users: map[user.ID]*user.User{}, updated: map[user.ID]time.Time{},
		byExt: map[string]user.ID{}, byEmail: map[string]user.ID{}, managers: map[user.ID]user.ID{},
		seats: view.SeatsUsed, outcomes: map[int]Outcome{}, roots: map[int]int{}}
	for id, m := range view.Managers {
		d.managers[id] = m
	}
	for _, t := range view.Users {
		d.users[t.ID] = user.Restore(t.Snapshot)
		d.updated[t.ID] = t.UpdatedAt
		d.index(nil, t.Snapshot)
	}
	for _, r := range managersFirst(rows) {
		if err := d.row(r); err != nil {
			return ChunkPlan{}, fmt.Errorf("row %d: %w", r.Row, err)
		}
	}
	return d.plan, nil
}

// chunkDecision is the working state of DecideChunk.
type chunkDecision struct {
	view  ChunkView
	cfg   ImportUserRowConfig
	newID func() (user.ID, error)
	// users are the users the chunk knows (read, or created by its rows),
	// in their state after the rows decided so far; updated is when each
	// last changed.
	users   map[user.ID]*user.User
	updated map[user.ID]time.Time
	// byExt and byEmail find users not deleted by key; managers is each
	// known user's manager (the reporting lines).
	byExt, byEmail map[string]user.ID
	managers       map[user.ID]user.ID
	seats          int
	// outcomes are the outcomes decided by this chunk; roots, for its rows
	// refused because of their manager's row, the row where that began.
	outcomes map[int]Outcome
	roots    map[int]int
	plan     ChunkPlan
}

func (d *chunkDecision) row(r ImportUserRow) error {
	recorded, has := d.view.Outcomes[r.Row]
	if has && recorded != OutcomeParked {
		d.plan.Rows = append(d.plan.Rows, PlannedRow{Outcome: RowOutcome{TenantID: r.TenantID, JobID: r.JobID, Row: r.Row,
			Outcome: recorded}, Duplicate: true})
		return nil
	}
	out, cmd, deferred, err := d.decide(r)
	if err != nil {
		return err
	}
	if deferred != nil {
		d.plan.Deferred = append(d.plan.Deferred, *deferred)
		return nil
	}
	out.TenantID, out.JobID, out.Row = r.TenantID, r.JobID, r.Row
	out.Detail = CapText(out.Detail)
	d.outcomes[r.Row] = out.Outcome
	annotate(r, out.Failures)
	if out.Outcome == OutcomeRejected {
		for _, f := range out.Failures {
			if f.RootRow != 0 && f.Severity != SeverityWarning {
				d.roots[r.Row] = f.RootRow
			}
		}
	}
	d.plan.Rows = append(d.plan.Rows, PlannedRow{Outcome: out, Command: cmd, ReplacesParked: has})
	return nil
}

func (d *chunkDecision) decide(r ImportUserRow) (RowOutcome, *PlannedCommand, *DeferredRow, error) {
	if rec, ok := d.view.Commands[commandID(r.JobID, r.Row)]; ok {
		// Recorded by a delivery that did not record the outcome with it
		// (the importer before chunks were written whole).
		o := OutcomeUpdated
		if rec.Type == "RegisterUser" {
			o = OutcomeCreated
		}
		return RowOutcome{Outcome: o, UserID: rec.StreamID.String(), Detail: "applied by an earlier delivery"}, nil, nil, nil
	}
	if len(r.Rejection) > 0 {
		return rejected(r.Row, r.Rejection...), nil, nil, nil
	}
	switch r.Kind {
	case "", RowUpsert:
		return d.upsert(r)
	case RowDeactivate:
		id, ok := d.byExt[strings.TrimSpace(r.Fields[ColExternalID])]
		if !ok {
			return RowOutcome{Outcome: OutcomeUnchanged, Detail: "no user has this external id"}, nil, nil, nil
		}
		cmd := DeactivateUser{Envelope: rowEnvelope(r), UserID: id, Reason: "no longer listed by the HRIS"}
		out, pc, err := d.apply(r, false, cmd.execution())
		return out, pc, nil, err
	}
	return rejected(r.Row, Failure{Code: "invalid_row", Message: fmt.Sprintf("unknown row kind %q", r.Kind)}), nil, nil, nil
}

func rowEnvelope(r ImportUserRow) Envelope {
	return Envelope{CommandID: commandID(r.JobID, r.Row), TenantID: r.TenantID,
		Actor: string(r.Source) + ":" + r.JobID, Source: r.Source, CorrelationID: r.JobID}
}

func (d *chunkDecision) upsert(r ImportUserRow) (RowOutcome, *PlannedCommand, *DeferredRow, error) {
	ext := strings.TrimSpace(r.Fields[ColExternalID])
	email := user.NormalizeEmail(r.Fields[ColEmail])
	if ext == "" && email == "" {
		return rejected(r.Row, Failure{Field: ColExternalID, Code: "required",
			Message: "an external id or an e-mail address is required"}), nil, nil, nil
	}
	target, found := d.find(ext, email)
	// pre are the refusals found before the command: a row lists every
	// problem it has, so the command is still decided for the domain's own.
	var pre []Failure
	if found && ext != "" && target.ExternalID != "" && target.ExternalID != ext {
		pre = append(pre, Failure{Field: ColExternalID, Code: "external_id_mismatch",
			Message: fmt.Sprintf("the e-mail address belongs to a user with external id %q", target.ExternalID)})
	}
	m := d.resolveManager(r, ext)
	switch {
	case m.deferred != nil && len(pre) == 0:
		return RowOutcome{}, nil, m.deferred, nil
	case m.refusal != nil:
		pre = append(pre, *m.refusal)
	}
	env := rowEnvelope(r)
	if len(pre) > 0 {
		var ex Execution
		if found {
			ex = UpdateUser{Envelope: env, UserID: target.ID, Patch: patch(r.Fields, m.id)}.execution()
		} else {
			ex = RegisterUser{Envelope: env, Registration: registration(r.Fields, m.id)}.execution()
		}
		return rejected(r.Row, append(d.problems(!found, ex), pre...)...), nil, nil, nil
	}
	out, pc, err := d.command(r, env, found, target, m.id)
	if m.warning != nil {
		out.Failures = append(out.Failures, *m.warning)
	}
	return out, pc, nil, err
}

// command decides the row's command: a registration, or an update of target.
func (d *chunkDecision) command(r ImportUserRow, env Envelope, found bool, target user.Snapshot, managerID *string) (RowOutcome, *PlannedCommand, error) {
	if !found {
		id, err := d.newID()
		if err != nil {
			return RowOutcome{}, nil, fmt.Errorf("new user id: %w", err)
		}
		cmd := RegisterUser{Envelope: env, UserID: id, Registration: registration(r.Fields, managerID)}
		return d.apply(r, true, cmd.execution())
	}
	p := patch(r.Fields, managerID)
	if !r.SourceModifiedAt.IsZero() {
		t := ImportTarget{Snapshot: target, UpdatedAt: d.updated[target.ID]}
		if t.UpdatedAt.After(r.SourceModifiedAt) {
			return stale(r, t, p), nil, nil
		}
		v := target.Version
		env.ExpectedVersion = &v
	}
	cmd := UpdateUser{Envelope: env, UserID: target.ID, Patch: p}
	return d.apply(r, false, cmd.execution())
}

// problems are the domain's refusals of a command that will not be applied
// (the row has other problems). Nothing of the working state moves.
func (d *chunkDecision) problems(creating bool, ex Execution) []Failure {
	var current *user.User
	if c, ok := d.users[ex.StreamID]; ok && !creating {
		cp := *c
		current = &cp
	}
	// The domain's refusals only: what the database would refuse (a taken
	// address, the seats) depends on the rows before, not on this one.
	_, err := ex.Decide(current, d.reportingLine)
	if err != nil && IsRejection(err) {
		return failuresOf(0, err)
	}
	return nil
}

// find is the user a row applies to: by external id, else by e-mail.
func (d *chunkDecision) find(ext, email string) (user.Snapshot, bool) {
	if id, ok := d.byExt[ext]; ok && ext != "" {
		return d.users[id].Snapshot(), true
	}
	if id, ok := d.byEmail[email]; ok && email != "" {
		return d.users[id].Snapshot(), true
	}
	return user.Snapshot{}, false
}

// managerResolution is what became of a row's manager: its user id (nil
// leaves the manager as it is, "" clears it), or a refusal, a warning (the
// row is imported without the manager), or a wait for the manager's row.
type managerResolution struct {
	id       *string
	refusal  *Failure
	warning  *Failure
	deferred *DeferredRow
}

// resolveManager turns the manager's external id into a user id. A manager
// whose row in the same job has no outcome yet makes the row wait, a
// bounded number of times. A manager that is not found (neither a user of
// the tenant nor a row of the job that was imported) refuses the row under
// MissingManagerReject; otherwise the row is imported without it (a new
// user has none, an existing one keeps theirs) with a warning.
func (d *chunkDecision) resolveManager(r ImportUserRow, ext string) managerResolution {
	m, present := r.Fields[ColManagerExternalID]
	if !present {
		return managerResolution{}
	}
	m = strings.TrimSpace(m)
	if m == "" {
		return managerResolution{id: &m}
	}
	refuse := func(code, format string, args ...any) managerResolution {
		return managerResolution{refusal: &Failure{Field: ColManagerExternalID, Code: code, Message: fmt.Sprintf(format, args...)}}
	}
	missing := func(f Failure) managerResolution {
		f.Field = ColManagerExternalID
		if r.MissingManager == MissingManagerReject {
			return managerResolution{refusal: &f}
		}
		f.Severity = SeverityWarning
		f.Message += "; imported without a manager"
		return managerResolution{warning: &f}
	}
	if m == ext || r.ManagerRow == r.Row {
		return refuse("self_reference", "a user cannot be their own manager")
	}
	if id, ok := d.byExt[m]; ok {
		s := id.String()
		return managerResolution{id: &s}
	}
	notFound := Failure{Code: "manager_not_found", Message: fmt.Sprintf("no user has the external id %q", m)}
	if r.ManagerRow == 0 {
		return missing(notFound)
	}
	o, done := d.outcomes[r.ManagerRow]
	if !done {
		o, done = d.view.Outcomes[r.ManagerRow]
	}
	if done {
		if o == OutcomeRejected || o == OutcomeParked {
			root := d.roots[r.ManagerRow]
			if root == 0 {
				root = r.ManagerRow
			}
			msg := fmt.Sprintf("the manager's row %d was not imported", r.ManagerRow)
			if root != r.ManagerRow {
				msg += fmt.Sprintf(" (because of row %d)", root)
			}
			return missing(Failure{Code: "manager_not_imported", Message: msg, RootRow: root})
		}
		return missing(notFound)
	}
	if r.Deferrals >= d.cfg.MaxDeferrals {
		return refuse("manager_unresolved", "the manager's row %d was not imported in time", r.ManagerRow)
	}
	delay := min(d.cfg.DeferralDelay<<min(r.Deferrals, 16), d.cfg.MaxDeferralDelay)
	return managerResolution{deferred: &DeferredRow{Row: r, Delay: delay, Reason: fmt.Sprintf("waiting for the manager's row %d", r.ManagerRow)}}
}

// maxValueText caps the offending value a failure quotes.
const maxValueText = 200

// annotate gives a row's failures what an admin needs to find and fix it:
// the row's external id and e-mail address, the offending value.
func annotate(r ImportUserRow, failures []Failure) {
	for i := range failures {
		f := &failures[i]
		f.Row = r.Row
		f.ExternalID = capTo(strings.TrimSpace(r.Fields[ColExternalID]), maxValueText)
		f.Email = capTo(strings.TrimSpace(r.Fields[ColEmail]), maxValueText)
		if f.Value == "" && f.Field != "" {
			f.Value = capTo(r.Fields[f.Field], maxValueText)
		}
		if f.Severity == "" {
			f.Severity = SeverityError
		}
	}
}

// capTo cuts s to n bytes, on a character boundary.
func capTo(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
