package porttest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/app/query"
	"github.com/userservice/userservice/domain/user"
)

// ImportJobs is the job side of the import store: jobs, row outcomes, the
// poison queue, the readers and the dry run's view.
type ImportJobs interface {
	command.ImportJobStore
	command.ImportRowStore
	command.ParkedRowStore
	command.ImportDryRunReader
	query.ImportReader
}

// ImportsEnv is what the import suite runs on, all on one store: the import
// store's three parts, and the tenants and users its chunks write beside.
// The queue is the suite's own (a recorder): the rows it is handed are
// applied by the suite, in queue order, as the importer role would.
type ImportsEnv struct {
	Jobs    ImportJobs
	Staging command.ImportStaging
	Chunks  command.ImportChunkStore
	Tenants interface {
		command.TenantStore
		query.TenantReader
	}
	Users query.UserReader
}

// ImportStore runs the contract of the import ports (command.ImportJobStore,
// ImportRowStore, ParkedRowStore, ImportStaging, ImportChunkStore,
// ImportDryRunReader and query.ImportReader) through the import use cases.
func ImportStore(t *testing.T, newEnv func(t *testing.T) ImportsEnv) {
	for _, c := range []struct {
		name string
		run  func(*testing.T, func(*testing.T) ImportsEnv)
	}{
		{"a file is staged, queued managers first, applied, counted and finished", importsLifecycle},
		{"the same file again changes nothing", importsAgainUnchanged},
		{"seats are counted across a chunk", importsSeats},
		{"a parked row is listed, retried and replaced by its final outcome", importsParkAndRetry},
		{"a job stays in its tenant; a dedup key and a missing tenant are refused", importsTenancy},
		{"a dry run decides the file and writes nothing", importsDryRun},
		{"an upload cut off part way queues nothing and says why", importsCutOff},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.run(t, newEnv)
		})
	}
}

// importsLifecycle: a file is staged, queued managers first, applied, counted and finished.
func importsLifecycle(t *testing.T, newEnv func(t *testing.T) ImportsEnv) {
	f := newImportsFixture(t, newEnv(t), 10)
	rows := []command.ImportRow{
		importRow(2, "e-2", "two@example.com", "boss"), // reports to a row further down
		importRow(3, "boss", "boss@example.com", ""),
		importRow(4, "dup", "d1@example.com", ""),
		importRow(5, "dup", "d2@example.com", ""),
		{Row: 6, Rejection: []command.Failure{{Row: 6, Field: "email", Code: "malformed_row", Message: "bad quoting"}}},
		importRow(7, "l1", "l1@example.com", "l2"),
		importRow(8, "l2", "l2@example.com", "l1"),
	}
	started := f.start(rows, false)
	queued := f.queue.take()
	if order := rowNumbers(queued); started.Total != 7 || slices.Index(order, 3) > slices.Index(order, 2) || len(order) != 7 {
		t.Errorf("total %d, queue order %v: every row once, the manager's row (3) before its report's (2)", started.Total, order)
	}
	f.apply(queued, 3)
	done := f.expectJob(started.JobID, jobSummary{Status: "completed_with_errors", Total: 7, Created: 2, Rejected: 5, Finished: true})
	if c := done.FailureCodes; c[command.DuplicateCode] != 2 || c["malformed_row"] != 1 {
		t.Errorf("failure codes = %v", c)
	}
	boss, report := f.userByExternalID("boss"), f.userByExternalID("e-2")
	if report.ManagerID != boss.ID.String() {
		t.Errorf("row 2's manager = %q, want the boss row's user %s", report.ManagerID, boss.ID)
	}
	// A redelivery of every row changes and counts nothing.
	res := f.apply(queued, 7)
	if len(res.Applied) != 7 || slices.ContainsFunc(res.Applied, func(r command.RowResult) bool { return !r.Duplicate }) {
		t.Errorf("redelivered rows = %+v, want all duplicates", res.Applied)
	}
	if again := f.expectJob(started.JobID, summary(done)); !again.FinishedAt.Equal(*done.FinishedAt) {
		t.Errorf("a redelivery moved the job's end: %v, was %v", again.FinishedAt, done.FinishedAt)
	}
	f.expectFailurePages(started.JobID, 3, []int{4, 5, 6, 7, 8})
}

// jobSummary is what the suite compares of a job.
type jobSummary struct {
	Status                                               string
	Total, Created, Updated, Unchanged, Rejected, Parked int
	Finished                                             bool
}

func summary(j query.ImportJob) jobSummary {
	s := jobSummary{Status: j.Status, Created: j.Created, Updated: j.Updated, Unchanged: j.Unchanged, Rejected: j.Rejected,
		Parked: j.Parked, Finished: j.FinishedAt != nil && j.StartedAt != nil}
	if j.Total != nil {
		s.Total = *j.Total
	}
	return s
}

// expectJob reads the job and fails unless it sums up as want.
func (f *importsFixture) expectJob(id string, want jobSummary) query.ImportJob {
	f.t.Helper()
	j := f.job(id)
	if got := summary(j); got != want {
		f.t.Fatalf("job = %+v, want %+v", got, want)
	}
	return j
}

// expectFailurePages reads the job's failures a page of size at a time
// and fails unless they are want's rows, in order, on more than one page.
func (f *importsFixture) expectFailurePages(jobID string, size int, want []int) {
	f.t.Helper()
	var got []int
	pages := 0
	for q := (query.ListImportFailures{TenantID: f.tenant, JobID: jobID, Limit: size}); pages <= len(want); pages++ {
		page, err := f.failures.Handle(f.ctx, q)
		must(f.t, err)
		for _, p := range page.Failures {
			got = append(got, p.Row)
			q.AfterRow, q.AfterSeq = p.Row, p.Seq
		}
		if page.Done {
			break
		}
	}
	if !slices.Equal(got, want) || pages < 1 {
		f.t.Errorf("failure pages: rows %v on %d pages after the first; want %v on more than one", got, pages, want)
	}
}

func rowNumbers(rows []command.ImportUserRow) []int {
	out := make([]int, len(rows))
	for i, r := range rows {
		out[i] = r.Row
	}
	return out
}

// importsAgainUnchanged: the same file again changes nothing.
func importsAgainUnchanged(t *testing.T, newEnv func(t *testing.T) ImportsEnv) {
	f := newImportsFixture(t, newEnv(t), 10)
	rows := []command.ImportRow{importRow(2, "a", "a@example.com", ""), importRow(3, "b", "b@example.com", "a")}
	f.start(rows, false)
	f.apply(f.queue.take(), 10)
	second := f.start(rows, false)
	f.apply(f.queue.take(), 10)
	if j := f.job(second.JobID); j.Unchanged != 2 || j.Status != "completed" {
		t.Errorf("second import = %+v, want 2 unchanged, completed", j)
	}
}

// importsSeats: seats are counted across a chunk.
func importsSeats(t *testing.T, newEnv func(t *testing.T) ImportsEnv) {
	f := newImportsFixture(t, newEnv(t), 2)
	started := f.start([]command.ImportRow{importRow(2, "a", "a@example.com", ""), importRow(3, "b", "b@example.com", ""),
		importRow(4, "c", "c@example.com", "")}, false)
	f.apply(f.queue.take(), 10)
	j := f.job(started.JobID)
	info, err := f.env.Tenants.TenantByID(f.ctx, f.tenant)
	must(t, err)
	if j.Created != 2 || j.Rejected != 1 || j.FailureCodes["seats_exhausted"] != 1 || info.SeatsUsed != 2 {
		t.Errorf("job = %+v, seats used %d; want 2 created, 1 refused for seats", j, info.SeatsUsed)
	}
}

// importsParkAndRetry: a parked row is listed, retried and replaced by its final outcome.
func importsParkAndRetry(t *testing.T, newEnv func(t *testing.T) ImportsEnv) {
	f := newImportsFixture(t, newEnv(t), 10)
	started := f.start([]command.ImportRow{importRow(2, "a", "a@example.com", ""), importRow(3, "b", "b@example.com", "")}, false)
	queued := f.queue.take()
	f.apply(queued[:1], 10)
	parked := queued[1]
	ok, err := f.park.Handle(f.ctx, command.ParkImportRow{Row: parked, Reason: "database unavailable"})
	if err != nil || !ok {
		t.Fatalf("park = %v, %v", ok, err)
	}
	f.expectJob(started.JobID, jobSummary{Status: "completed_with_errors", Total: 2, Created: 1, Parked: 1, Finished: true})
	n, err := f.retry.Handle(f.ctx, command.RetryImport{TenantID: f.tenant, JobID: started.JobID})
	if err != nil || n != 1 {
		t.Fatalf("retry = %d, %v", n, err)
	}
	list, err := f.parkedList.Handle(f.ctx, query.ListParkedImportRows{TenantID: f.tenant, JobID: started.JobID})
	must(t, err)
	if len(list) != 1 || list[0].Row != parked.Row || list[0].Error != "database unavailable" || list[0].RequeuedAt == nil {
		t.Errorf("parked rows = %+v", list)
	}
	requeued := f.queue.take()
	if !slices.Equal(rowNumbers(requeued), []int{parked.Row}) {
		t.Fatalf("retried rows = %+v", requeued)
	}
	f.apply(requeued, 10)
	f.expectJob(started.JobID, jobSummary{Status: "completed", Total: 2, Created: 2, Finished: true})
	// A late redelivery of the parked outcome does not undo it.
	if ok, err := f.park.Handle(f.ctx, command.ParkImportRow{Row: parked, Reason: "late"}); ok || err != nil {
		t.Errorf("a late park = %v, %v; want not recorded", ok, err)
	}
}

// importsTenancy: a job stays in its tenant; a dedup key and a missing tenant are refused.
func importsTenancy(t *testing.T, newEnv func(t *testing.T) ImportsEnv) {
	f := newImportsFixture(t, newEnv(t), 10)
	other := newImportsFixture(t, f.env, 10)
	started := f.start([]command.ImportRow{importRow(2, "a", "a@example.com", "")}, false)
	if _, err := other.get.Handle(f.ctx, query.GetImport{TenantID: other.tenant, JobID: started.JobID}); !errors.Is(err, query.ErrImportNotFound) {
		t.Errorf("another tenant reads the job: %v", err)
	}
	if _, err := f.env.Jobs.RecordRowOutcome(f.ctx, command.RowOutcome{TenantID: other.tenant, JobID: started.JobID, Row: 2,
		Outcome: command.OutcomeUnchanged}); !errors.Is(err, query.ErrImportNotFound) {
		t.Errorf("another tenant records an outcome: %v", err)
	}
	rows := f.queue.take()
	for i := range rows {
		rows[i].TenantID = other.tenant
	}
	if _, err := other.rows.Handle(f.ctx, command.ImportUserRows{Rows: rows}); !errors.Is(err, query.ErrImportNotFound) {
		t.Errorf("another tenant applies the job's rows: %v", err)
	}
	key := uuid.NewString()
	must(t, f.env.Jobs.CreateImportJob(f.ctx, command.NewImportJob{ID: uuid.NewString(), TenantID: f.tenant,
		Source: command.SourceHRIS, Actor: "porttest", DedupKey: key}))
	if err := f.env.Jobs.CreateImportJob(f.ctx, command.NewImportJob{ID: uuid.NewString(), TenantID: f.tenant,
		Source: command.SourceHRIS, Actor: "porttest", DedupKey: key}); !errors.Is(err, command.ErrImportExists) {
		t.Errorf("a dedup key used twice: %v", err)
	}
	if err := f.env.Jobs.CreateImportJob(f.ctx, command.NewImportJob{ID: uuid.NewString(), TenantID: uuid.NewString(),
		Source: command.SourceCSV, Actor: "porttest"}); !errors.Is(err, query.ErrTenantNotFound) {
		t.Errorf("a job for a tenant that does not exist: %v", err)
	}
}

// importsDryRun: a dry run decides the file and writes nothing.
func importsDryRun(t *testing.T, newEnv func(t *testing.T) ImportsEnv) {
	f := newImportsFixture(t, newEnv(t), 1)
	started := f.start([]command.ImportRow{importRow(2, "a", "a@example.com", ""), importRow(3, "b", "b@example.com", ""),
		importRow(4, "b", "b2@example.com", "")}, true)
	r := started.DryRun
	if r == nil || r.Outcomes[command.OutcomeCreated] != 1 || r.FailureCodes[command.DuplicateCode] != 2 || len(f.queue.take()) != 0 {
		t.Fatalf("dry run = %+v", r)
	}
	if _, err := f.get.Handle(f.ctx, query.GetImport{TenantID: f.tenant, JobID: started.JobID}); !errors.Is(err, query.ErrImportNotFound) {
		t.Errorf("a dry run made a job: %v", err)
	}
	if page, err := f.list.Handle(f.ctx, query.ListUsers{TenantID: f.tenant}); err != nil || len(page.Users) != 0 {
		t.Errorf("a dry run made users: %+v, %v", page.Users, err)
	}
}

// importsFixture is one tenant with the import use cases on an env.
type importsFixture struct {
	t          *testing.T
	ctx        context.Context
	tenant     string
	env        ImportsEnv
	queue      *recordingQueue
	startH     command.StartImportHandler
	rows       command.ImportUserRowsHandler
	park       command.ParkImportRowHandler
	retry      command.RetryImportHandler
	get        query.GetImportHandler
	failures   query.ListImportFailuresHandler
	parkedList query.ListParkedImportRowsHandler
	list       query.ListUsersHandler
}

func newImportsFixture(t *testing.T, env ImportsEnv, seats int) *importsFixture {
	t.Helper()
	f := &importsFixture{t: t, ctx: context.Background(), tenant: uuid.NewString(), env: env, queue: &recordingQueue{}}
	must(t, env.Tenants.CreateTenant(f.ctx, command.Tenant{ID: f.tenant, Name: t.Name(), Seats: seats}))
	var err error
	f.startH, err = command.NewStartImportHandler(givenRows{}, env.Jobs, env.Staging, f.queue, newStringID)
	must(t, err)
	f.rows, err = command.NewImportUserRowsHandler(env.Chunks, newUserID, command.ImportUserRowConfig{})
	must(t, err)
	f.park, err = command.NewParkImportRowHandler(env.Jobs)
	must(t, err)
	f.retry, err = command.NewRetryImportHandler(env.Jobs, f.queue)
	must(t, err)
	f.get, err = query.NewGetImportHandler(env.Jobs)
	must(t, err)
	f.failures, err = query.NewListImportFailuresHandler(env.Jobs)
	must(t, err)
	f.parkedList, err = query.NewListParkedImportRowsHandler(env.Jobs)
	must(t, err)
	f.list, err = query.NewListUsersHandler(env.Users)
	must(t, err)
	return f
}

// importsCutOff: an upload whose body breaks off after thousands of rows
// (several of the staging's batches, staged while the rest is read) fails
// with the reader's error and queues no row.
func importsCutOff(t *testing.T, newEnv func(t *testing.T) ImportsEnv) {
	f := newImportsFixture(t, newEnv(t), 10000)
	rows := make([]command.ImportRow, 0, 4500)
	for n := 2; len(rows) < cap(rows); n++ {
		rows = append(rows, importRow(n, fmt.Sprintf("cut-%d", n), fmt.Sprintf("cut-%d@example.com", n), ""))
	}
	cutOff := errors.New("the client's body broke off")
	_, err := f.startH.Handle(f.ctx, command.StartImport{TenantID: f.tenant, Actor: "porttest", Body: &rowsBody{rows: rows, cutOff: cutOff}})
	if !errors.Is(err, cutOff) {
		t.Fatalf("upload cut off after %d rows: err = %v; want the reader's error", len(rows), err)
	}
	if queued := f.queue.take(); len(queued) != 0 {
		t.Fatalf("upload cut off: %d rows queued; want none", len(queued))
	}
}

// start imports rows as an uploaded file would bring them.
func (f *importsFixture) start(rows []command.ImportRow, dryRun bool) command.StartedImport {
	f.t.Helper()
	res, err := f.startH.Handle(f.ctx, command.StartImport{TenantID: f.tenant, Actor: "porttest", Body: &rowsBody{rows: rows},
		DryRun: dryRun})
	must(f.t, err)
	return res
}

// apply applies queued rows in chunks of size, in queue order, as the
// importer does; deferred rows are applied again until none waits.
func (f *importsFixture) apply(rows []command.ImportUserRow, size int) command.RowsResult {
	f.t.Helper()
	var all command.RowsResult
	for round := 0; len(rows) > 0; round++ {
		if round == 10 {
			f.t.Fatalf("rows still deferred after %d rounds: %+v", round, rows)
		}
		var again []command.ImportUserRow
		for chunk := range slices.Chunk(rows, size) {
			res, err := f.rows.Handle(f.ctx, command.ImportUserRows{Rows: chunk})
			must(f.t, err)
			all.Applied = append(all.Applied, res.Applied...)
			for _, d := range res.Deferred {
				d.Row.Deferrals++
				again = append(again, d.Row)
			}
		}
		rows = again
	}
	return all
}

func (f *importsFixture) job(id string) query.ImportJob {
	f.t.Helper()
	j, err := f.get.Handle(f.ctx, query.GetImport{TenantID: f.tenant, JobID: id})
	must(f.t, err)
	return j
}

func (f *importsFixture) userByExternalID(ext string) user.Snapshot {
	f.t.Helper()
	page, err := f.list.Handle(f.ctx, query.ListUsers{TenantID: f.tenant, ExternalID: ext})
	must(f.t, err)
	if len(page.Users) != 1 {
		f.t.Fatalf("users with external id %q: %+v", ext, page.Users)
	}
	return page.Users[0]
}

func importRow(n int, ext, email, manager string) command.ImportRow {
	fields := map[string]string{command.ColExternalID: ext, command.ColEmail: email, command.ColGivenName: "Given " + ext}
	if manager != "" {
		fields[command.ColManagerExternalID] = manager
	}
	return command.ImportRow{Row: n, Fields: fields}
}

// recordingQueue is the suite's command.ImportQueue: it keeps what it is
// handed, for the suite to apply.
type recordingQueue struct {
	mu   sync.Mutex
	rows []command.ImportUserRow
}

func (q *recordingQueue) Enqueue(_ context.Context, rows []command.ImportUserRow) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.rows = append(q.rows, rows...)
	return nil
}

// take returns the rows queued so far and forgets them.
func (q *recordingQueue) take() []command.ImportUserRow {
	q.mu.Lock()
	defer q.mu.Unlock()
	rows := q.rows
	q.rows = nil
	return rows
}

// givenRows is a command.ImportFormat whose "file" is a rowsBody: the rows
// as a reader (csvimport) would have read them.
type givenRows struct{}

type rowsBody struct {
	rows []command.ImportRow
	next int
	// cutOff, when set, is what Next returns after the rows (a client's
	// body that broke off) instead of io.EOF.
	cutOff error
}

func (*rowsBody) Read([]byte) (int, error) { return 0, io.EOF }

func (givenRows) Open(_ context.Context, body io.Reader, _ command.ImportOptions) (command.ImportFile, error) {
	b, ok := body.(*rowsBody)
	if !ok {
		return nil, command.ErrInvalidImportFile
	}
	return b, nil
}

func (b *rowsBody) Rows() (command.RowReader, error) { return b, nil }

func (b *rowsBody) Close() error { return nil }

func (b *rowsBody) Next() (command.ImportRow, error) {
	if b.next == len(b.rows) {
		if b.cutOff != nil {
			return command.ImportRow{}, b.cutOff
		}
		return command.ImportRow{}, io.EOF
	}
	b.next++
	return b.rows[b.next-1], nil
}
