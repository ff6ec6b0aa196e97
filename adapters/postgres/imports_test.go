package postgres

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/app/query"
)

// TestConcurrentOutcomesCountOnceAndFinishOnce records every row of a job
// twice, concurrently, around the seal: the counts are exact, the job ends
// once, and its notice is queued once.
func TestConcurrentOutcomesCountOnceAndFinishOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 10)
	s := NewImports(f.pool)
	must(t, NewNotifications(f.pool).SetNotificationSettings(f.ctx, command.SetNotificationSettings{TenantID: f.tenant,
		Emails: []string{"a@example.com"}, WebhookURL: "https://example.com/h", WebhookSecret: "0123456789abcdef"}))
	job := uuid.NewString()
	must(t, s.CreateImportJob(f.ctx, command.NewImportJob{ID: job, TenantID: f.tenant, Source: command.SourceCSV, Actor: "t"}))
	const rows = 40
	var wg sync.WaitGroup
	for i := range 2 * rows {
		wg.Go(func() {
			row := 2 + i%rows
			o := command.RowOutcome{TenantID: f.tenant, JobID: job, Row: row, Outcome: command.OutcomeCreated}
			if row%10 == 0 {
				o.Outcome, o.Failures = command.OutcomeRejected, []command.Failure{{Row: row, Field: "email", Code: "x", Message: "y"}}
			}
			if _, err := s.RecordRowOutcome(f.ctx, o); err != nil {
				t.Error(err)
			}
		})
		if i == rows {
			wg.Go(func() { must(t, s.SealImportJob(f.ctx, job, rows)) })
		}
	}
	wg.Wait()
	j, err := s.ImportJob(f.ctx, f.tenant, job)
	must(t, err)
	if j.Created != 36 || j.Rejected != 4 || j.Processed() != rows || j.Status != "completed_with_errors" || j.FinishedAt == nil {
		t.Fatalf("job = %+v", j)
	}
	var notices, failures int
	must(t, f.pool.QueryRow(f.ctx, `SELECT (SELECT count(*) FROM notifications WHERE job_id = $1),
		(SELECT count(*) FROM import_failures WHERE job_id = $1)`, job).Scan(&notices, &failures))
	if notices != 2 || failures != 4 {
		t.Fatalf("%d notices (want one per channel: 2), %d failures (want 4)", notices, failures)
	}
}

func TestImportReadsStayInTheirTenant(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 10)
	other := newFixture(t, 10)
	s := NewImports(f.pool)
	job := uuid.NewString()
	must(t, s.CreateImportJob(f.ctx, command.NewImportJob{ID: job, TenantID: f.tenant, Source: command.SourceCSV, Actor: "t"}))
	for name, err := range map[string]error{
		"job":       errOf(s.ImportJob(f.ctx, other.tenant, job)),
		"no tenant": errOf(s.ImportJob(f.ctx, "", job)),
		"failures":  errOf(s.ImportFailures(f.ctx, query.ListImportFailures{TenantID: other.tenant, JobID: job, Limit: 10})),
		"parked":    errOf(s.ParkedRows(f.ctx, other.tenant, job, 0, 10)),
		"not uuid":  errOf(s.ImportJob(f.ctx, f.tenant, "x")),
		"outcome of another tenant's job": errOf(s.RecordRowOutcome(f.ctx, command.RowOutcome{TenantID: other.tenant, JobID: job,
			Row: 2, Outcome: command.OutcomeCreated})),
	} {
		if !errors.Is(err, query.ErrImportNotFound) {
			t.Errorf("%s: err = %v, want ErrImportNotFound", name, err)
		}
	}
	if err := s.CreateImportJob(f.ctx, command.NewImportJob{ID: uuid.NewString(), TenantID: f.tenant, Source: command.SourceHRIS,
		Actor: "t", DedupKey: "k-" + job}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateImportJob(f.ctx, command.NewImportJob{ID: uuid.NewString(), TenantID: f.tenant, Source: command.SourceHRIS,
		Actor: "t", DedupKey: "k-" + job}); !errors.Is(err, command.ErrImportExists) {
		t.Fatalf("same dedup key: %v", err)
	}
}

func errOf[T any](_ T, err error) error { return err }

func TestAbandonedJobsFail(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 10)
	s := NewImports(f.pool)
	must(t, NewNotifications(f.pool).SetNotificationSettings(f.ctx, command.SetNotificationSettings{TenantID: f.tenant,
		Emails: []string{"a@example.com"}}))
	stale, fresh, csv := uuid.NewString(), uuid.NewString(), uuid.NewString()
	for _, id := range []string{stale, fresh} {
		must(t, s.CreateImportJob(f.ctx, command.NewImportJob{ID: id, TenantID: f.tenant, Source: command.SourceHRIS, Actor: "t"}))
	}
	must(t, s.CreateImportJob(f.ctx, command.NewImportJob{ID: csv, TenantID: f.tenant, Source: command.SourceCSV, Actor: "t"}))
	_, err := f.pool.Exec(f.ctx, `UPDATE import_jobs SET created_at = now() - interval '2 hours' WHERE id = ANY($1)`, []string{stale, csv})
	must(t, err)
	if _, err := s.FailStaleImports(f.ctx, time.Hour); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]string{stale: "failed", csv: "failed", fresh: "queued"} {
		j, err := s.ImportJob(f.ctx, f.tenant, id)
		must(t, err)
		if j.Status != want {
			t.Errorf("job %s: %s, want %s", id, j.Status, want)
		}
	}
	var notices int
	must(t, f.pool.QueryRow(f.ctx, `SELECT count(*) FROM notifications WHERE tenant_id = $1`, f.tenant).Scan(&notices))
	if notices != 1 {
		t.Fatalf("%d notices, want 1 (the HRIS sync's)", notices)
	}
}
