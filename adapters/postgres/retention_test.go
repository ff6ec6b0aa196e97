package postgres

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

// TestRetentionPurgesEveryPersonalValueOfAnOldJob fills every place a
// finished job keeps personal data (row detail, parked row, the failure's
// message, value, external id and e-mail, the kept original row, the
// notice's last error) and checks that the purge empties them all while the
// counts and kinds of failure stay, and that a recent job is left alone.
func TestRetentionPurgesEveryPersonalValueOfAnOldJob(t *testing.T) {
	f := newFixture(t, 10)
	mark := strings.ReplaceAll(uuid.NewString(), "-", "")
	// Finished long ago: no other test's job is older, so the purge below
	// takes only this one (and the cutoff leaves every real job alone).
	old := time.Date(1971, 1, 1, 0, 0, 0, 0, time.UTC)
	oldJob, recentJob := uuid.New(), uuid.New()
	for _, j := range []struct {
		id       uuid.UUID
		finished time.Time
	}{{oldJob, old}, {recentJob, time.Now()}} {
		_, err := f.pool.Exec(f.ctx, `INSERT INTO import_jobs (id, tenant_id, source, actor, status, total, finished_at)
			VALUES ($1, $2, 'csv', 'test', 'completed_with_errors', 1, $3)`, j.id, f.tenant, j.finished)
		must(t, err)
		_, err = f.pool.Exec(f.ctx, `INSERT INTO import_rows (job_id, row_no, outcome, detail, parked_row)
			VALUES ($1, 2, 'rejected', $2, jsonb_build_object('email', $2::text))`, j.id, "detail-"+mark)
		must(t, err)
		_, err = f.pool.Exec(f.ctx, `INSERT INTO import_failures (job_id, row_no, seq, field, code, message, value, external_id, email)
			VALUES ($1, 2, 0, 'email', 'invalid_email', $2, $2, $2, $2)`, j.id, "failure-"+mark)
		must(t, err)
		_, err = f.pool.Exec(f.ctx, `INSERT INTO import_source_rows (job_id, row_no, cells) VALUES ($1, 2, jsonb_build_array($2::text))`,
			j.id, "source-"+mark)
		must(t, err)
		_, err = f.pool.Exec(f.ctx, `INSERT INTO notifications (id, tenant_id, job_id, channel, last_error)
			VALUES ($1, $2, $3, 'email', $4)`, uuid.New(), f.tenant, j.id, "notice-"+mark)
		must(t, err)
	}

	n, err := PurgeExpiredPersonalData(f.ctx, f.pool, old.Add(time.Hour))
	must(t, err)
	if n < 1 { // another checkout's run of this test may add its own old job
		t.Fatalf("purged %d jobs, want the old one", n)
	}
	left := func(job uuid.UUID) int {
		var hits int
		err := f.pool.QueryRow(f.ctx, `SELECT
			(SELECT count(*) FROM import_rows x WHERE job_id = $1 AND strpos(x::text, $2) > 0) +
			(SELECT count(*) FROM import_failures x WHERE job_id = $1 AND strpos(x::text, $2) > 0) +
			(SELECT count(*) FROM import_source_rows x WHERE job_id = $1 AND strpos(x::text, $2) > 0) +
			(SELECT count(*) FROM notifications x WHERE job_id = $1 AND strpos(x::text, $2) > 0)`, job, mark).Scan(&hits)
		must(t, err)
		return hits
	}
	if hits := left(oldJob); hits != 0 {
		t.Errorf("the old job still shows personal data in %d rows", hits)
	}
	if hits := left(recentJob); hits != 4 {
		t.Errorf("the recent job shows personal data in %d rows, want all 4 kept", hits)
	}
	// What the report's counts are made of stays.
	var code, severity string
	must(t, f.pool.QueryRow(f.ctx, `SELECT code, severity FROM import_failures WHERE job_id = $1`, oldJob).Scan(&code, &severity))
	if code != "invalid_email" || severity != "error" {
		t.Errorf("failure after the purge: code %q severity %q", code, severity)
	}
	// Purging again leaves the purged job alone.
	if _, err := PurgeExpiredPersonalData(f.ctx, f.pool, old.Add(time.Hour)); err != nil {
		t.Errorf("second purge: %v", err)
	}
	var purgedAt time.Time
	must(t, f.pool.QueryRow(f.ctx, `SELECT personal_data_purged_at FROM import_jobs WHERE id = $1`, oldJob).Scan(&purgedAt))
	if purgedAt.IsZero() {
		t.Error("the old job is not marked purged")
	}
}
