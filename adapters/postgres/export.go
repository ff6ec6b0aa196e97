package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/userservice/userservice/app/query"
	"github.com/userservice/userservice/domain/user"
)

// exportImportRowsSQL lists the import rows that created or updated the
// user, with their failures; the jobs bind them to the tenant.
const exportImportRowsSQL = `
SELECT r.job_id::text, j.source, r.row_no, r.outcome, r.detail, r.recorded_at,
       coalesce((SELECT array_agg(f.field || ': ' || f.message ORDER BY f.seq) FROM import_failures f
                 WHERE f.job_id = r.job_id AND f.row_no = r.row_no), '{}')
FROM import_rows r JOIN import_jobs j ON j.id = r.job_id
WHERE r.user_id = $2 AND j.tenant_id = $1
ORDER BY r.recorded_at, r.job_id, r.row_no`

const exportNoticesSQL = `
SELECT n.id::text, n.job_id::text, n.channel, n.status, n.created_at FROM notifications n
WHERE n.tenant_id = $1 AND n.job_id IN (SELECT r.job_id FROM import_rows r WHERE r.user_id = $2)
ORDER BY n.created_at, n.id`

const exportCommandsSQL = `
SELECT command_id, type, source, actor, payload, recorded_at FROM commands
WHERE tenant_id = $1 AND stream_id = $2 ORDER BY recorded_at, command_id`

// ExportUser implements query.PersonalDataExporter: the profile, the
// decrypted history, and the import rows, notices and commands that named
// the user. A user never registered in the tenant is user.ErrNotFound.
func (r *Users) ExportUser(ctx context.Context, tenantID string, id user.ID) (query.UserExport, error) {
	var out query.UserExport
	events, err := r.StreamEvents(ctx, tenantID, id)
	if err != nil {
		return out, err
	}
	if len(events) == 0 {
		return out, user.ErrNotFound
	}
	out.Events = events
	switch s, err := r.GetUser(ctx, tenantID, id); {
	case errors.Is(err, user.ErrNotFound):
	case err != nil:
		return out, err
	default:
		out.User = &s
	}
	b := &pgx.Batch{}
	b.Queue(exportImportRowsSQL, tenantID, id).Query(func(rows pgx.Rows) error {
		var row query.ExportedImportRow
		_, err := pgx.ForEachRow(rows, []any{&row.JobID, &row.Source, &row.Row, &row.Outcome, &row.Detail,
			&row.RecordedAt, &row.Failures}, func() error {
			row.RecordedAt = row.RecordedAt.UTC()
			out.ImportRows = append(out.ImportRows, row)
			return nil
		})
		return err
	})
	b.Queue(exportNoticesSQL, tenantID, id).Query(func(rows pgx.Rows) error {
		var n query.ExportedNotice
		_, err := pgx.ForEachRow(rows, []any{&n.ID, &n.JobID, &n.Channel, &n.Status, &n.CreatedAt}, func() error {
			n.CreatedAt = n.CreatedAt.UTC()
			out.Notices = append(out.Notices, n)
			return nil
		})
		return err
	})
	b.Queue(exportCommandsSQL, tenantID, id).Query(func(rows pgx.Rows) error {
		var (
			c  query.ExportedCommand
			at time.Time
		)
		_, err := pgx.ForEachRow(rows, []any{&c.ID, &c.Type, &c.Source, &c.Actor, &c.Payload, &at}, func() error {
			c.RecordedAt = at.UTC()
			c.Payload = append([]byte(nil), c.Payload...)
			out.Commands = append(out.Commands, c)
			return nil
		})
		return err
	})
	if err := r.pool.SendBatch(ctx, b).Close(); err != nil {
		return out, fmt.Errorf("export user %s: %w", id, err)
	}
	return out, nil
}
