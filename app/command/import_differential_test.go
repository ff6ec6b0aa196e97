package command_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/userservice/userservice/adapters/csvimport"
	"github.com/userservice/userservice/adapters/postgres"
	"github.com/userservice/userservice/adapters/postgres/pgtest"
	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/domain/user"
)

// side is one tenant with the write use cases on the real database.
type side struct {
	t        *testing.T
	ctx      context.Context
	pool     *pgxpool.Pool
	tenant   string
	register command.RegisterUserHandler
	update   command.UpdateUserHandler
	deact    command.DeactivateUserHandler
	react    command.ReactivateUserHandler
	imports  *postgres.Imports
	rows     command.ImportUserRowsHandler
}

func newUserID() (user.ID, error) { id, err := uuid.NewV7(); return user.ID(id), err }

func newSide(t *testing.T, ctx context.Context, pool *pgxpool.Pool, seats int) *side {
	t.Helper()
	s := &side{t: t, ctx: ctx, pool: pool, tenant: uuid.NewString(), imports: postgres.NewImports(pool)}
	must(t, postgres.NewTenants(pool).CreateTenant(ctx, command.Tenant{ID: s.tenant, Name: t.Name(), Seats: seats}))
	uow, err := postgres.NewUnitOfWork(pool, nil)
	must(t, err)
	s.register, err = command.NewRegisterUserHandler(uow, newUserID)
	must(t, err)
	s.update, err = command.NewUpdateUserHandler(uow)
	must(t, err)
	s.deact, err = command.NewDeactivateUserHandler(uow)
	must(t, err)
	s.react, err = command.NewReactivateUserHandler(uow)
	must(t, err)
	chunks, err := postgres.NewImportChunks(pool, nil)
	must(t, err)
	s.rows, err = command.NewImportUserRowsHandler(chunks, newUserID, command.ImportUserRowConfig{})
	must(t, err)
	return s
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func (s *side) env() command.Envelope {
	return command.Envelope{CommandID: uuid.NewString(), TenantID: s.tenant, Actor: "test", Source: command.SourceAPI, CorrelationID: "c"}
}

// seed registers the users both sides start from: P1..P40 (P31..P35
// deactivated, P36 without an external id).
func (s *side) seed() {
	for i := 1; i <= 40; i++ {
		ext := fmt.Sprintf("P%d", i)
		if i == 36 {
			ext = ""
		}
		res, err := s.register.Handle(s.ctx, command.RegisterUser{Envelope: s.env(), Registration: user.Registration{
			Email: fmt.Sprintf("p%d@ex.test", i), Profile: user.Profile{GivenName: fmt.Sprintf("Pre%d", i), FamilyName: "Test",
				Title: "T", ExternalID: ext}}})
		must(s.t, err)
		if i >= 31 && i <= 35 {
			_, err := s.deact.Handle(s.ctx, command.DeactivateUser{Envelope: s.env(), UserID: res.User.ID, Reason: "seed"})
			must(s.t, err)
		}
	}
}

// differentialFile has every kind of row: see the comments.
func differentialFile() string {
	var b strings.Builder
	b.WriteString("external_id,email,given_name,family_name,display_name,department,title,manager_external_id,status\n")
	line := func(f string, a ...any) { fmt.Fprintf(&b, f+"\n", a...) }
	for i := 1; i <= 10; i++ { // updated (title); P8 and P9 get managers, P9's comes later in the file
		mgr := ""
		switch i {
		case 8:
			mgr = "P7"
		case 9:
			mgr = "N5"
		}
		line("P%d,p%d@ex.test,Pre%d,Test,,,Changed,%s,", i, i, i, mgr)
	}
	for i := 11; i <= 20; i++ { // unchanged
		line("P%d,p%d@ex.test,Pre%d,Test,,,T,,", i, i, i)
	}
	for i := 21; i <= 25; i++ { // deactivated
		line("P%d,p%d@ex.test,Pre%d,Test,,,T,,deactivated", i, i, i)
	}
	for i := 31; i <= 33; i++ { // reactivated
		line("P%d,p%d@ex.test,Pre%d,Test,,,T,,active", i, i, i)
	}
	line("Q36,p36@ex.test,Pre36,Test,,,T,,") // matched by e-mail, external id adopted
	line("Z1,p26@ex.test,Zed,One,,,,,")      // external_id_mismatch
	line("P27,p28@ex.test,Pre27,Test,,,T,,") // email_taken
	line("V1,not-an-email,Vee,One,,,,,")     // invalid e-mail
	line("V2,,Vee,Two,,,,,")                 // e-mail required (names are optional)
	line("V3,v3@ex.test,Vee,Three,,,,NOPE,") // manager_not_found
	line("V4,v4@ex.test,Vee,Four,,,,V4,")    // self_reference
	line("C1,c1@ex.test,Cy,One,,,,C2,")      // manager_cycle
	line("C2,c2@ex.test,Cy,Two,,,,C1,")      // manager_cycle
	line("V5,v5@ex.test,Vee,Five,,,,V1,")    // manager_not_imported
	line("P1,dup1@ex.test,Dup,One,,,,,")     // duplicate external id
	line("D2,p2@ex.test,Dup,Two,,,,,")       // duplicate e-mail
	line("M1,m1@ex.test")                    // malformed
	line("V6,v6@ex.test,Vee,Six,,,,,bogus")  // invalid status
	for i := 1; i <= 250; i++ {              // created; the last ones find no seat
		mgr := ""
		switch {
		case i%11 == 0 && i+120 <= 250:
			mgr = fmt.Sprintf("N%d", i+120) // forward, another chunk
		case i%7 == 0:
			mgr = fmt.Sprintf("N%d", i+3) // forward, often the same chunk
		case i%13 == 0:
			mgr = fmt.Sprintf("N%d", i-5) // backward
		case i%5 == 0:
			mgr = fmt.Sprintf("P%d", i%10+1) // existing
		}
		status := ""
		if i%17 == 0 {
			status = "deactivated"
		}
		line("N%d,n%d@ex.test,New%d,Row,Disp %d,Dept%d,Title,%s,%s", i, i, i, i, i%4, mgr, status)
	}
	return b.String()
}

// captureQueue keeps the queued rows instead of publishing them.
type captureQueue struct{ rows []command.ImportUserRow }

func (q *captureQueue) Enqueue(_ context.Context, rows []command.ImportUserRow) error {
	q.rows = append(q.rows, rows...)
	return nil
}

// TestChunksAgreeWithRowByRow is the differential test: the same file,
// applied set-wise in chunks on one tenant and row by row through the
// command handlers on another (both starting from the same users), gives
// exactly the same outcomes, command records, events, read model, outbox
// messages and seat count.
func TestChunksAgreeWithRowByRow(t *testing.T) {
	t.Parallel()
	pool := pgtest.Pool(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// 35 active seeded users, -5 +3 by the file, 236 new active ones: 10 too many.
	const seats = 35 - 5 + 3 + 236 - 10
	a, b := newSide(t, ctx, pool, seats), newSide(t, ctx, pool, seats)
	a.seed()
	b.seed()

	format, err := csvimport.NewFormat(csvimport.Config{TempDir: t.TempDir()})
	must(t, err)
	q := &captureQueue{}
	start, err := command.NewStartImportHandler(format, a.imports, postgres.NewImportStaging(pool), q, func() (string, error) { return uuid.NewString(), nil })
	must(t, err)
	started, err := start.Handle(ctx, command.StartImport{TenantID: a.tenant, Actor: "test", Body: strings.NewReader(differentialFile()),
		Options: command.ImportOptions{MissingManager: command.MissingManagerReject}})
	must(t, err)
	last := 0
	for _, r := range q.rows {
		last = max(last, r.Row)
	}
	for i, ext := range []string{"P11", "GHOST"} { // an HRIS sync's leavers
		q.rows = append(q.rows, command.ImportUserRow{JobID: started.JobID, TenantID: a.tenant, Source: command.SourceCSV,
			ImportRow: command.ImportRow{Row: last + 1 + i, Kind: command.RowDeactivate, Fields: map[string]string{command.ColExternalID: ext}}})
	}
	// The job counts the leavers too (as an HRIS sync's would).
	_, err = pool.Exec(ctx, `UPDATE import_jobs SET total = $2 WHERE id = $1`, started.JobID, len(q.rows))
	must(t, err)

	// Set-wise: chunks in queue order, waiting rows again after each pass.
	pending := q.rows
	for pass := 0; len(pending) > 0; pass++ {
		if pass > 20 {
			t.Fatalf("rows still waiting after 20 passes: %d", len(pending))
		}
		var next []command.ImportUserRow
		for _, chunk := range chunks(pending) {
			res, err := a.rows.Handle(ctx, command.ImportUserRows{Rows: chunk})
			must(t, err)
			for _, d := range res.Deferred {
				d.Row.Deferrals++
				next = append(next, d.Row)
			}
		}
		pending = next
	}

	// Row by row, in the same order (a chunk's managers first), through
	// the command handlers.
	jobB := uuid.NewString()
	ref := &reference{register: b.register, update: b.update, deactivate: b.deact, users: postgres.NewImportUsers(pool),
		outcomes: map[int]command.RowOutcome{}, maxDefer: 200}
	pending = nil
	for _, r := range q.rows {
		r.JobID, r.TenantID = jobB, b.tenant
		pending = append(pending, r)
	}
	for len(pending) > 0 {
		var next []command.ImportUserRow
		for _, chunk := range chunks(pending) {
			for _, r := range command.ManagersFirst(chunk) {
				deferred, err := ref.apply(ctx, r)
				must(t, err)
				if deferred {
					r.Deferrals++
					next = append(next, r)
				}
			}
		}
		pending = next
	}

	got := a.outcomes(started.JobID)
	want := map[int]string{}
	codes := map[string]int{}
	for n, o := range ref.outcomes {
		want[n] = describe(o.Outcome, o.Failures)
		codes[string(o.Outcome)]++
		for _, f := range o.Failures {
			codes[f.Code]++
		}
	}
	if len(got) != len(q.rows) || !reflect.DeepEqual(got, want) {
		for n := range want {
			if got[n] != want[n] {
				t.Errorf("row %d: chunks %q, row by row %q", n, got[n], want[n])
			}
		}
		t.Fatalf("%d outcomes set-wise, %d row by row, %d rows", len(got), len(want), len(q.rows))
	}
	for _, c := range []string{"created", "updated", "unchanged", "rejected", "seats_exhausted", "email_taken",
		"external_id_mismatch", "manager_cycle", "duplicate_row", "manager_not_imported", "self_reference",
		"manager_not_found", "malformed_row", "required", "invalid_format", "invalid_value"} {
		if codes[c] == 0 {
			t.Errorf("the file exercised no %q", c)
		}
	}
	for _, q := range []string{usersSQL, eventsSQL, commandsSQL} {
		ga, gb := a.dump(q), b.dump(q)
		if ga != gb {
			t.Errorf("differs:\n%s\nchunks:\n%s\nrow by row:\n%s", q, firstDiff(ga, gb), firstDiff(gb, ga))
		}
	}
	if ea, eb := a.count(eventCountSQL), b.count(eventCountSQL); ea == 0 || ea != eb || a.count(outboxCountSQL) != ea ||
		b.count(outboxCountSQL) != eb {
		t.Errorf("events %d and %d; outbox messages %d and %d", ea, eb, a.count(outboxCountSQL), b.count(outboxCountSQL))
	}
	if sa, sb := a.count(seatsSQL), b.count(seatsSQL); sa != sb || sa != a.count(activeSQL) || sa > seats {
		t.Errorf("seats used %d and %d, active users %d, limit %d", sa, sb, a.count(activeSQL), seats)
	}
	job, err := a.imports.ImportJob(ctx, a.tenant, started.JobID)
	must(t, err)
	if !job.Finished() || job.Created+job.Updated+job.Unchanged+job.Rejected != len(q.rows) {
		t.Errorf("job %+v", job)
	}
}

func chunks(rows []command.ImportUserRow) [][]command.ImportUserRow {
	var out [][]command.ImportUserRow
	for len(rows) > 0 {
		n := min(len(rows), 100)
		out = append(out, rows[:n])
		rows = rows[n:]
	}
	return out
}

func describe(o command.Outcome, failures []command.Failure) string {
	s := string(o)
	for _, f := range failures {
		s += fmt.Sprintf(" [%s %s %s]", f.Field, f.Code, f.Message)
	}
	return s
}

func (s *side) outcomes(jobID string) map[int]string {
	failures := map[int][]command.Failure{}
	rows, err := s.pool.Query(s.ctx, `SELECT row_no, field, code, message FROM import_failures WHERE job_id = $1 ORDER BY row_no, seq`, jobID)
	must(s.t, err)
	for rows.Next() {
		var (
			n int
			f command.Failure
		)
		must(s.t, rows.Scan(&n, &f.Field, &f.Code, &f.Message))
		failures[n] = append(failures[n], f)
	}
	must(s.t, rows.Err())
	out := map[int]string{}
	rows, err = s.pool.Query(s.ctx, `SELECT row_no, outcome FROM import_rows WHERE job_id = $1`, jobID)
	must(s.t, err)
	for rows.Next() {
		var (
			n int
			o string
		)
		must(s.t, rows.Scan(&n, &o))
		out[n] = describe(command.Outcome(o), failures[n])
	}
	must(s.t, rows.Err())
	return out
}

// The dumps name users by e-mail address (ids differ between the sides)
// and the tenant as T.
const (
	usersSQL = `SELECT email, given_name, family_name, display_name, department, title, coalesce(external_id, ''), status, version,
	coalesce((SELECT m.email FROM users m WHERE m.id = u.manager_id), '') FROM users u WHERE tenant_id = $1 ORDER BY email`
	eventsSQL = `SELECT u.email, e.version, e.type, e.data::text, e.actor LIKE 'csv:%', e.source FROM events e JOIN users u ON u.id = e.stream_id
	WHERE e.tenant_id = $1 ORDER BY u.email, e.version`
	commandsSQL = `SELECT split_part(c.command_id, ':', 3), c.type, c.payload::text, u.email, c.outcome::text FROM commands c
	JOIN users u ON u.id = c.stream_id WHERE c.tenant_id = $1 AND c.command_id LIKE 'import:%' ORDER BY 1`
	eventCountSQL  = `SELECT count(*) FROM events WHERE tenant_id = $1`
	outboxCountSQL = `SELECT (SELECT count(*) FROM watermill_user_events_0 WHERE payload->>'tenantid' = $1::text)
	+ (SELECT count(*) FROM watermill_user_events_1 WHERE payload->>'tenantid' = $1::text)
	+ (SELECT count(*) FROM watermill_user_events_2 WHERE payload->>'tenantid' = $1::text)
	+ (SELECT count(*) FROM watermill_user_events_3 WHERE payload->>'tenantid' = $1::text)`
	seatsSQL  = `SELECT seats_used FROM tenants WHERE id = $1`
	activeSQL = `SELECT count(*) FROM users WHERE tenant_id = $1 AND status = 'active'`
)

func (s *side) count(q string) int {
	var n int
	must(s.t, s.pool.QueryRow(s.ctx, q, s.tenant).Scan(&n))
	return n
}

// dump prints the query's rows with ids replaced by their users' e-mail
// addresses and the tenant by T.
func (s *side) dump(q string) string {
	names := map[string]string{s.tenant: "T"}
	rows, err := s.pool.Query(s.ctx, `SELECT id::text, email FROM users WHERE tenant_id = $1`, s.tenant)
	must(s.t, err)
	for rows.Next() {
		var id, email string
		must(s.t, rows.Scan(&id, &email))
		names[id] = "<" + email + ">"
	}
	must(s.t, rows.Err())
	rows, err = s.pool.Query(s.ctx, q, s.tenant)
	must(s.t, err)
	var b strings.Builder
	for rows.Next() {
		vals, err := rows.Values()
		must(s.t, err)
		line := fmt.Sprint(vals...)
		for id, name := range names {
			line = strings.ReplaceAll(line, id, name)
		}
		b.WriteString(line + "\n")
	}
	must(s.t, rows.Err())
	return b.String()
}

func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range al {
		if i >= len(bl) || al[i] != bl[i] {
			return fmt.Sprintf("line %d of %d: %s", i+1, len(al), al[i])
		}
	}
	return "(a prefix)"
}
