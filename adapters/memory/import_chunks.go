package memory

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/app/query"
	"github.com/userservice/userservice/domain/user"
)

// ApplyChunk implements command.ImportChunkStore: under the store's lock
// (so the view is always read as under the reporting-line lock) it reads
// the view, lets decide plan, and writes the plan whole or not at all.
func (m *Imports) ApplyChunk(ctx context.Context, k command.ChunkKeys,
	decide func(command.ChunkView) (command.ChunkPlan, error)) (command.ChunkPlan, error) {
	if err := ctx.Err(); err != nil {
		return command.ChunkPlan{}, err
	}
	s := m.s
	s.mu.Lock()
	defer s.mu.Unlock()
	j, err := s.job(k.TenantID, k.JobID)
	if err != nil || s.tenants[k.TenantID] == nil {
		return command.ChunkPlan{}, query.ErrImportNotFound
	}
	view := s.chunkView(j, k)
	plan, err := decide(view)
	if err != nil {
		return command.ChunkPlan{}, err
	}
	if err := s.writeChunk(j, k.TenantID, plan, view.Now); err != nil {
		return command.ChunkPlan{}, err
	}
	s.finishIfDone(j)
	return plan, nil
}

// DryRunView implements command.ImportDryRunReader: the chunk view of the
// tenant's state, without a job.
func (m *Imports) DryRunView(ctx context.Context, k command.ChunkKeys) (command.ChunkView, error) {
	s := m.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tenants[k.TenantID] == nil {
		return command.ChunkView{}, fmt.Errorf("dry run for tenant %s: %w", k.TenantID, query.ErrTenantNotFound)
	}
	v := s.chunkView(nil, k)
	v.ManagersLocked = false
	return v, nil
}

// chunkView is readChunkView's answer from the store; j is nil for a dry run.
func (s *Store) chunkView(j *importJob, k command.ChunkKeys) command.ChunkView {
	t := s.tenants[k.TenantID]
	v := command.ChunkView{Outcomes: map[int]command.Outcome{}, Commands: map[string]command.RecordedCommand{},
		SeatLimit: t.seatLimit, SeatsUsed: t.used, Now: s.now().UTC().Truncate(time.Microsecond), ManagersLocked: true}
	if j != nil {
		for _, row := range k.Rows {
			if r := j.rows[row]; r != nil {
				v.Outcomes[row] = r.outcome
			}
		}
	}
	for _, id := range k.CommandIDs {
		if c, ok := s.commands[commandKey{k.TenantID, id}]; ok {
			v.Commands[id] = command.RecordedCommand{Type: c.typ, StreamID: c.snap.ID}
		}
	}
	var managers []user.ID
	v.Users, managers = s.chunkUsers(k)
	v.Managers = s.reportingLines(k.TenantID, managers)
	return v
}

// chunkUsers are the tenant's users (not deleted) with one of the keys'
// external ids or e-mail addresses, and those of them the rows name as
// manager.
func (s *Store) chunkUsers(k command.ChunkKeys) (users []command.ImportTarget, managers []user.ID) {
	for id, st := range s.streams {
		u := st.snap
		if st.tenantID != k.TenantID || u.Status == user.StatusDeleted {
			continue
		}
		named := u.ExternalID != "" && slices.Contains(k.ExternalIDs, u.ExternalID)
		if named || slices.Contains(k.Emails, u.Email) {
			users = append(users, command.ImportTarget{Snapshot: u, UpdatedAt: st.updatedAt()})
		}
		if named && slices.Contains(k.ManagerExternalIDs, u.ExternalID) {
			managers = append(managers, id)
		}
	}
	return users, managers
}

// reportingLines maps every user on the reporting lines from the managers
// up to their own manager.
func (s *Store) reportingLines(tenantID string, managers []user.ID) map[user.ID]user.ID {
	lines := map[user.ID]user.ID{}
	for _, id := range managers {
		for depth := 0; depth <= 10000; depth++ {
			st := s.streams[id]
			if _, seen := lines[id]; seen || st == nil || st.tenantID != tenantID {
				break
			}
			next, err := user.ParseID(st.snap.ManagerID)
			if err != nil {
				break
			}
			lines[id] = next
			id = next
		}
	}
	return lines
}

// updatedAt is the time of the stream's last event.
func (st *stream) updatedAt() time.Time {
	if len(st.events) == 0 {
		return time.Time{}
	}
	return time.UnixMicro(st.events[len(st.events)-1].meta.at).UTC()
}

// writeChunk carries out the plan: every check first (unique keys, seats),
// then the commands, events, read model, outcomes and counts.
func (s *Store) writeChunk(j *importJob, tenantID string, plan command.ChunkPlan, now time.Time) error {
	streams, commands, err := s.chunkStreams(tenantID, plan, now)
	if err != nil {
		return err
	}
	for _, c := range commands {
		if err := checkUnique(streams, tenantID, streams[c.snap.ID].snap); err != nil {
			return fmt.Errorf("import chunk: %w", err)
		}
	}
	t := s.tenants[tenantID]
	net, peak := plan.SeatSteps()
	if peak > 0 && t.used+peak > t.seatLimit {
		return fmt.Errorf("import chunk: %w", user.ErrSeatsExhausted)
	}
	// Every check passed: from here on nothing can fail half-way.
	t.used += net
	s.streams = streams
	maps.Copy(s.commands, commands)
	for _, r := range plan.Rows {
		if r.Duplicate {
			continue
		}
		if r.ReplacesParked {
			j.counts[command.OutcomeParked]--
		}
		s.recordRow(j, r.Outcome)
	}
	return nil
}

// chunkStreams is the streams as the plan's commands leave them (a copy:
// the store's are untouched) and the commands to record.
func (s *Store) chunkStreams(tenantID string, plan command.ChunkPlan, now time.Time) (map[user.ID]*stream, map[commandKey]recorded, error) {
	streams := maps.Clone(s.streams)
	commands := map[commandKey]recorded{}
	for _, r := range plan.Rows {
		if r.Duplicate || r.Command == nil {
			continue
		}
		c := r.Command
		payload, err := json.Marshal(c.Payload)
		if err != nil {
			return nil, nil, fmt.Errorf("encode %s payload: %w", c.Type, err)
		}
		st, err := s.appended(streams[c.StreamID], tenantID, c, now)
		if err != nil {
			return nil, nil, err
		}
		streams[c.StreamID] = st
		commands[commandKey{tenantID, c.CommandID}] = recorded{hash: requestHash(c.Execution, payload), typ: c.Type, snap: st.snap}
	}
	return streams, commands, nil
}

// appended is a copy of prev (nil: a new stream) with c's events.
func (s *Store) appended(prev *stream, tenantID string, c *command.PlannedCommand, now time.Time) (*stream, error) {
	next, err := fold(c.StreamID, c.Current, c.Events)
	if err != nil {
		return nil, err
	}
	base := 0
	if c.Current != nil {
		base = c.Current.Version()
	}
	stored, err := s.storedEventsAt(c.Execution, base, c.Events, now)
	if err != nil {
		return nil, err
	}
	st := &stream{tenantID: tenantID, snap: next.Snapshot()}
	if prev != nil {
		if len(prev.events) != base {
			return nil, fmt.Errorf("import chunk: %w", user.ErrVersionConflict)
		}
		st.events = slices.Clone(prev.events)
	}
	st.events = append(st.events, stored...)
	return st, nil
}
