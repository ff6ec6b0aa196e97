package main

import (
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/userservice/userservice/adapters/postgres"
	"github.com/userservice/userservice/adapters/projection"
	"github.com/userservice/userservice/domain/user"
)

// copyRun is the baseline of one import size: the same CSV rows, decided by
// the same domain function (user.Register) and encoded as the service
// encodes them, written with pgx CopyFrom into the same tables (commands,
// events, users, the outbox shards) plus one seat update, copyChunk rows
// per transaction.
type copyRun struct {
	Rows   int
	Took   time.Duration
	Capped bool // stopped at the time limit before the end of the file
	Err    error
}

// PerSecond is rows/s.
func (c copyRun) PerSecond() float64 { return perSecond(int64(c.Rows), c.Took) }

// copyChunk is the number of rows per CopyFrom transaction.
const copyChunk = 10000

// copyBaseline loads path into a fresh tenant and times it, from opening
// the file to the last commit, or to the first commit after limit (then
// Rows says how many it copied).
func (b *bench) copyBaseline(ctx context.Context, path string, limit time.Duration) (run copyRun) {
	t, err := b.newTenant(ctx, "userbench import copy")
	if err != nil {
		run.Err = err
		return run
	}
	jobID := uuid.NewString()
	start := time.Now()
	f, err := os.Open(path)
	if err != nil {
		run.Err = err
		return run
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.ReuseRecord = true
	header, err := r.Read()
	if err != nil {
		run.Err = err
		return run
	}
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	var chunk copyRows
	for row := 2; ; row++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			run.Err = err
			return run
		}
		if err := chunk.add(ctx, t.ID, jobID, row, func(c string) string { return rec[col[c]] }); err != nil {
			run.Err = err
			return run
		}
		if chunk.n == copyChunk {
			if run.Err = b.copyRows(ctx, t.ID, &chunk); run.Err != nil {
				return run
			}
			run.Rows += copyChunk
			chunk = copyRows{}
			if time.Since(start) > limit {
				run.Took, run.Capped = time.Since(start), true
				return run
			}
		}
	}
	if chunk.n > 0 {
		if run.Err = b.copyRows(ctx, t.ID, &chunk); run.Err != nil {
			return run
		}
		run.Rows += chunk.n
	}
	run.Took = time.Since(start)
	return run
}

// copyRows are one chunk's rows, per table.
type copyRows struct {
	n                       int
	commands, events, users [][]any
	outbox                  [postgres.OutboxShards][][]any
}

// add decides the registration of one CSV row and adds its rows.
func (c *copyRows) add(ctx context.Context, tenantID, jobID string, row int, field func(string) string) error {
	id, err := uuid.NewV7()
	if err != nil {
		return err
	}
	uid := user.ID(id)
	reg := user.Registration{Email: field("email"), Status: user.Status(field("status")), Profile: user.Profile{
		GivenName: field("given_name"), FamilyName: field("family_name"), DisplayName: field("display_name"),
		Department: field("department"), Title: field("title"), ExternalID: field("external_id")}}
	events, err := user.Register(uid, tenantID, reg, nil)
	if err != nil {
		return fmt.Errorf("row %d: %w", row, err)
	}
	u, err := user.FromHistory(uid, events)
	if err != nil {
		return err
	}
	snap := u.Snapshot()
	payload, err := json.Marshal(reg)
	if err != nil {
		return err
	}
	hash := sha256.Sum256(append([]byte("RegisterUser\x00"), payload...))
	outcome, err := json.Marshal(map[string]any{"user": map[string]any{"id": uid.String(), "tenant_id": tenantID,
		"email": snap.Email, "given_name": snap.GivenName, "family_name": snap.FamilyName, "display_name": snap.DisplayName,
		"department": snap.Department, "title": snap.Title, "external_id": snap.ExternalID, "status": snap.Status, "version": 1}})
	if err != nil {
		return err
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	cmdID, actor := fmt.Sprintf("import:%s:%d", jobID, row), "csv:"+jobID
	c.commands = append(c.commands, []any{tenantID, cmdID, "RegisterUser", "csv", actor, jobID, uid, payload, hash[:], outcome})
	for i, e := range events {
		data, err := json.Marshal(e)
		if err != nil {
			return err
		}
		eid, err := uuid.NewV7()
		if err != nil {
			return err
		}
		ev := projection.Event{ID: eid.String(), StreamID: uid, TenantID: tenantID, Version: i + 1, Type: e.EventType(), Data: data,
			OccurredAt: now, CommandID: cmdID, CorrelationID: jobID, Actor: actor, Source: "csv"}
		c.events = append(c.events, []any{eid, uid, tenantID, ev.Version, ev.Type, data, now, cmdID, jobID, actor, "csv"})
		msg, err := postgres.OutboxMessage(ctx, ev)
		if err != nil {
			return err
		}
		meta, err := json.Marshal(msg.Metadata)
		if err != nil {
			return err
		}
		shard := postgres.OutboxShard(uid)
		c.outbox[shard] = append(c.outbox[shard], []any{msg.UUID, string(msg.Payload), string(meta)})
	}
	var ext *string
	if snap.ExternalID != "" {
		ext = &snap.ExternalID
	}
	c.users = append(c.users, []any{uid, tenantID, snap.Email, snap.GivenName, snap.FamilyName, snap.DisplayName, snap.Department,
		snap.Title, nil, ext, snap.Locale, snap.TimeZone, string(snap.Status), 1, now, now})
	c.n++
	return nil
}

// copySpec is one table's CopyFrom.
type copySpec struct {
	table string
	cols  []string
	rows  [][]any
}

// copyRows writes a chunk in one transaction.
func (b *bench) copyRows(ctx context.Context, tenantID string, c *copyRows) error {
	return pgx.BeginFunc(ctx, b.pool, func(tx pgx.Tx) error {
		var xid uint64
		if err := tx.QueryRow(ctx, `SELECT pg_current_xact_id()`).Scan(&xid); err != nil {
			return err
		}
		copies := []copySpec{
			{"commands", []string{"tenant_id", "command_id", "type", "source", "actor", "correlation_id", "stream_id", "payload",
				"payload_hash", "outcome"}, c.commands},
			{"events", []string{"event_id", "stream_id", "tenant_id", "version", "type", "data", "occurred_at", "command_id",
				"correlation_id", "actor", "source"}, c.events},
			{"users", []string{"id", "tenant_id", "email", "given_name", "family_name", "display_name", "department", "title",
				"manager_id", "external_id", "locale", "time_zone", "status", "version", "created_at", "updated_at"}, c.users},
		}
		for shard, rows := range c.outbox {
			withXID := make([][]any, len(rows))
			for i, r := range rows {
				withXID[i] = append(r[:3:3], xid)
			}
			copies = append(copies, copySpec{"watermill_" + postgres.OutboxTopic(shard), []string{"uuid", "payload", "metadata", "transaction_id"}, withXID})
		}
		for _, cp := range copies {
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{cp.table}, cp.cols, pgx.CopyFromRows(cp.rows)); err != nil {
				return fmt.Errorf("copy into %s: %w", cp.table, err)
			}
		}
		_, err := tx.Exec(ctx, `UPDATE tenants SET seats_used = seats_used + $2 WHERE id = $1 AND seats_used + $2 <= seat_limit`,
			tenantID, c.n)
		return err
	})
}
