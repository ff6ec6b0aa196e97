package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/userservice/userservice/adapters/projection"
	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/domain/group"
	"github.com/userservice/userservice/domain/user"
)

// groupOutcome is a group command's first outcome, recorded for replays.
type groupOutcome struct {
	Group struct {
		ID          string   `json:"id"`
		TenantID    string   `json:"tenant_id"`
		DisplayName string   `json:"display_name"`
		ExternalID  string   `json:"external_id,omitempty"`
		Members     []string `json:"members"`
		Version     int      `json:"version"`
	} `json:"group"`
}

// ExecuteGroup implements command.GroupUnitOfWork, in one transaction: the
// command record, the group's stream (upcast, folded), the decision, the
// check that added members are users of the tenant, then one batch with
// the events, the groups read model and the outbox (same topic, key = the
// group id).
func (u *UnitOfWork) ExecuteGroup(ctx context.Context, ex command.GroupExecution) (res command.GroupResult, err error) {
	payload, err := json.Marshal(ex.Payload)
	if err != nil {
		return res, fmt.Errorf("encode %s payload: %w", ex.Type, err)
	}
	// As for users (requestHash): the type, the request, the target (but
	// for a create, whose id is made per request) and the payload.
	target := ex.GroupID.String()
	if ex.Type == "CreateGroup" {
		target = ""
	}
	sum := hashRequest(ex.Type, ex.Request, target, payload)
	res, err = u.executeGroup(ctx, ex, payload, sum)
	if errors.Is(err, errDuplicateCommand) {
		// A concurrent twin recorded the id first: answer with its outcome.
		prior, err := u.recordedCommand(ctx, ex.Envelope)
		if err != nil {
			return res, err
		}
		return replayedGroup(prior, sum)
	}
	return res, err
}

// executeGroup is one attempt, in one transaction (a replay or a no-op
// writes nothing in it).
func (u *UnitOfWork) executeGroup(ctx context.Context, ex command.GroupExecution, payload, sum []byte) (command.GroupResult, error) {
	var res command.GroupResult
	err := inTx(ctx, u.pool, func(tx pgx.Tx) (err error) {
		res, err = u.groupInTx(ctx, tx, ex, payload, sum)
		return err
	})
	if err != nil {
		return command.GroupResult{}, translateGroup(err)
	}
	if res.Changed && !res.Replayed {
		u.wakeups.committed(OutboxShard(ex.GroupID))
	}
	return res, nil
}

// groupInTx reads the command's record and the group's stream, decides,
// and queues the writes in one batch.
func (u *UnitOfWork) groupInTx(ctx context.Context, tx pgx.Tx, ex command.GroupExecution, payload, sum []byte) (command.GroupResult, error) {
	prior, current, err := loadGroupForCommand(ctx, tx, ex)
	if err != nil {
		return command.GroupResult{}, err
	}
	if prior != nil {
		return replayedGroup(*prior, sum)
	}
	events, err := decideGroup(ex, current)
	if err != nil {
		return command.GroupResult{}, err
	}
	if len(events) == 0 { // decideGroup made sure there is a group
		return command.GroupResult{Group: current.Snapshot()}, nil
	}
	if err := checkMembers(ctx, tx, ex.TenantID, group.Added(events)); err != nil {
		return command.GroupResult{}, err
	}
	next, stored, err := prepareStream(ex.Envelope, ex.GroupID, current, events, u.now(), group.FromHistory)
	if err != nil {
		return command.GroupResult{}, err
	}
	snap := next.Snapshot()
	outcomeJSON, err := groupOutcomeJSON(snap)
	if err != nil {
		return command.GroupResult{}, err
	}
	b := &pgx.Batch{}
	b.Queue(insertCommandSQL, ex.TenantID, ex.CommandID, ex.Type, string(ex.Source), ex.Actor,
		ex.CorrelationID, ex.GroupID, payload, sum, outcomeJSON)
	for _, e := range stored {
		b.Queue(insertEventSQL, e.ID, e.StreamID, e.TenantID, e.Version, e.Type, e.Data, e.OccurredAt,
			e.CommandID, e.CorrelationID, e.Actor, e.Source)
	}
	queueGroupWrite(b, ex.TenantID, snap, next.Deleted(), groupVersion(current), stored)
	if err := queueOutbox(ctx, b, u.logger, stored); err != nil {
		return command.GroupResult{}, err
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return command.GroupResult{}, err
	}
	return command.GroupResult{Group: snap, Changed: true}, nil
}

// decideGroup checks the expected version and lets the command decide; no
// events for a group that is not there is group.ErrNotFound.
func decideGroup(ex command.GroupExecution, current *group.Group) ([]user.Event, error) {
	if ex.ExpectedVersion != nil && *ex.ExpectedVersion != groupVersion(current) {
		return nil, user.ErrVersionConflict
	}
	events, err := ex.Decide(current)
	if err == nil && len(events) == 0 && current == nil {
		return nil, group.ErrNotFound
	}
	return events, err
}

// groupVersion is the group's version, 0 before it exists.
func groupVersion(current *group.Group) int {
	if current == nil {
		return 0
	}
	return current.Version()
}

// groupOutcomeJSON is the outcome recorded with a group command.
func groupOutcomeJSON(snap group.Snapshot) ([]byte, error) {
	var out groupOutcome
	out.Group.ID, out.Group.TenantID, out.Group.DisplayName = snap.ID.String(), snap.TenantID, snap.DisplayName
	out.Group.ExternalID, out.Group.Members, out.Group.Version = snap.ExternalID, snap.Members, snap.Version
	return json.Marshal(out)
}

func loadGroupForCommand(ctx context.Context, tx pgx.Tx, ex command.GroupExecution) (*priorCommand, *group.Group, error) {
	var (
		prior  *priorCommand
		events []user.Event
	)
	b := &pgx.Batch{}
	queuePriorCommand(b, ex.TenantID, ex.CommandID, &prior)
	b.Queue(selectGroupStreamSQL, ex.GroupID, ex.TenantID).Query(func(rows pgx.Rows) error {
		var (
			typ  string
			data []byte
		)
		_, err := pgx.ForEachRow(rows, []any{&typ, &data}, func() error {
			e, err := group.DecodeEvent(typ, data)
			if err != nil {
				return err
			}
			events = append(events, e)
			return nil
		})
		return err
	})
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		if errors.Is(err, user.ErrUnknownEventType) {
			return nil, nil, group.ErrNotFound // the id names a user's stream, not a group's
		}
		return nil, nil, fmt.Errorf("load command %s and group %s: %w", ex.CommandID, ex.GroupID, err)
	}
	if prior != nil || len(events) == 0 {
		return prior, nil, nil
	}
	g, err := group.FromHistory(ex.GroupID, events)
	return nil, g, err
}

func replayedGroup(prior priorCommand, hash []byte) (command.GroupResult, error) {
	if string(prior.hash) != string(hash) {
		return command.GroupResult{}, command.ErrIdempotencyKeyReused
	}
	var o groupOutcome
	if err := json.Unmarshal(prior.outcome, &o); err != nil {
		return command.GroupResult{}, fmt.Errorf("decode recorded outcome: %w", err)
	}
	id, err := user.ParseID(o.Group.ID)
	if err != nil {
		return command.GroupResult{}, fmt.Errorf("recorded outcome: %w", err)
	}
	return command.GroupResult{Group: group.Snapshot{ID: id, TenantID: o.Group.TenantID, DisplayName: o.Group.DisplayName,
		ExternalID: o.Group.ExternalID, Members: o.Group.Members, Version: o.Group.Version}, Changed: true, Replayed: true}, nil
}

// checkMembers fails with group.ErrMemberNotFound unless every id is a
// user of the tenant who is not deleted.
func checkMembers(ctx context.Context, tx pgx.Tx, tenantID string, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	var n int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM users WHERE tenant_id = $1 AND id = ANY($2::uuid[]) AND status <> 'deleted'`,
		tenantID, ids).Scan(&n); err != nil {
		return fmt.Errorf("check members: %w", err)
	}
	if n != len(ids) {
		return group.ErrMemberNotFound
	}
	return nil
}

// queueGroupWrite queues the groups read model's writes: the row (guarded
// by the version read, so a lost race is a conflict) and the memberships
// the events add and remove.
func queueGroupWrite(b *pgx.Batch, tenantID string, s group.Snapshot, deleted bool, prevVersion int, events []projection.Event) {
	at := events[len(events)-1].OccurredAt
	if prevVersion == 0 {
		b.Queue(`INSERT INTO groups (id, tenant_id, display_name, external_id, deleted, version, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $7)`, s.ID, tenantID, s.DisplayName, nullable(s.ExternalID), deleted, s.Version, at)
	} else {
		b.Queue(`UPDATE groups SET display_name = $3, external_id = $4, deleted = $5, version = $6, updated_at = $7
			WHERE id = $1 AND tenant_id = $2 AND version = $8`, s.ID, tenantID, s.DisplayName, nullable(s.ExternalID),
			deleted, s.Version, at, prevVersion).Exec(expectOneRow(user.ErrVersionConflict))
	}
	for _, e := range events {
		switch p := e.Payload.(type) {
		case group.Created:
			addMembers(b, tenantID, s.ID, p.Members)
		case group.MembersAdded:
			addMembers(b, tenantID, s.ID, p.Members)
		case group.MembersRemoved:
			b.Queue(`DELETE FROM group_members WHERE group_id = $1 AND user_id = ANY($2::uuid[])`, s.ID, p.Members)
		case group.Deleted:
			b.Queue(`DELETE FROM group_members WHERE group_id = $1`, s.ID)
		}
	}
}

func addMembers(b *pgx.Batch, tenantID string, id user.ID, members []string) {
	if len(members) > 0 {
		b.Queue(`INSERT INTO group_members (tenant_id, group_id, user_id) SELECT $1, $2, unnest($3::uuid[])
			ON CONFLICT DO NOTHING`, tenantID, id, members)
	}
}

// translateGroup maps the groups' constraints to domain errors.
func translateGroup(err error) error {
	err = translate(err)
	if isUniqueViolation(err, "groups_tenant_external_id_key") {
		return group.ErrExternalIDTaken
	}
	if isUniqueViolation(err, "groups_pkey") {
		return user.ErrVersionConflict
	}
	return err
}
