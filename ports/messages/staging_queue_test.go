package messages

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/userservice/userservice/adapters/postgres"
	"github.com/userservice/userservice/adapters/postgres/pgtest"
	"github.com/userservice/userservice/app/command"
)

type sliceRows struct{ rows []command.ImportRow }

func (s *sliceRows) Next() (command.ImportRow, error) {
	if len(s.rows) == 0 {
		return command.ImportRow{}, io.EOF
	}
	r := s.rows[0]
	s.rows = s.rows[1:]
	return r, nil
}

type capturePublisher struct{ msgs []*message.Message }

func (p *capturePublisher) Publish(_ string, msgs ...*message.Message) error {
	p.msgs = append(p.msgs, msgs...)
	return nil
}
func (p *capturePublisher) Close() error { return nil }

// stagedQueueRows are rows of every kind the staging treats apart: plain
// new users, managers later in the file, in-file duplicates of either key,
// rows refused before staging, rows refused after it (Reject), a
// deactivation, a source time; more than one INSERT's worth of chunks.
func stagedQueueRows() []command.ImportRow {
	var rows []command.ImportRow
	modified := time.Date(2026, 1, 2, 3, 4, 5, 600, time.UTC)
	for n := 2; n < 5302; n++ {
		f := map[string]string{command.ColExternalID: fmt.Sprintf("E%d", n), command.ColEmail: fmt.Sprintf("u%d@example.com", n),
			command.ColGivenName: "Given", command.ColFamilyName: "Family"}
		r := command.ImportRow{Row: n, Fields: f}
		switch {
		case n%7 == 0: // a manager later in the file
			f[command.ColManagerExternalID] = fmt.Sprintf("E%d", n+3)
		case n%11 == 0:
			f[command.ColExternalID] = fmt.Sprintf("E%d", n-1) // duplicate external id
		case n%13 == 0:
			f[command.ColEmail] = fmt.Sprintf("u%d@example.com", n-2) // duplicate e-mail
		case n%17 == 0:
			r.Rejection = []command.Failure{{Row: n, Field: command.ColEmail, Code: "invalid", Message: "not an address"}}
		case n%19 == 0:
			r.Kind, r.Fields = command.RowDeactivate, map[string]string{command.ColExternalID: f[command.ColExternalID]}
		case n%23 == 0:
			r.SourceModifiedAt = modified
		}
		rows = append(rows, r)
	}
	return rows
}

// TestQueueStagedEqualsPublishingTheStagedRows: the chunks the PostgreSQL
// queue gets straight from the staging table (INSERT ... SELECT) are the
// messages that reading the staged rows back and publishing them gives: the
// same ids (up to the job's), metadata, rows, order and chunk bounds. The
// INSERT goes into a copy of the queue table in a schema of the test's own,
// so no importer of a parallel test takes the messages.
func TestQueueStagedEqualsPublishingTheStagedRows(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pool := pgtest.Pool(t)
	schema := "q_" + strings.ReplaceAll(uuid.NewString(), "-", "")
	if _, err := pool.Exec(ctx, `CREATE SCHEMA `+schema+`; CREATE TABLE `+schema+`.watermill_imports
		(LIKE public.watermill_imports INCLUDING DEFAULTS INCLUDING GENERATED)`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = pool.Exec(context.Background(), `DROP SCHEMA `+schema+` CASCADE`) })
	cfg, err := pgxpool.ParseConfig(pgtest.URL())
	if err != nil {
		t.Fatal(err)
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = schema + ",public"
	cfg.MaxConns = 2
	qpool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(qpool.Close)

	tenant := uuid.NewString()
	rejected := map[int]command.Failure{4001: {Row: 4001, Field: command.ColManagerExternalID, Code: "manager_cycle", Message: "loop"}}
	stage := func(st command.ImportStaging, job string) {
		total, _, err := st.Stage(ctx, job, &sliceRows{rows: stagedQueueRows()})
		if err != nil || total != 5300 {
			t.Fatalf("stage: %d rows, %v", total, err)
		}
		if err := st.Reject(ctx, job, rejected); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = st.Drop(context.Background(), job) })
	}

	// Reading back and publishing.
	plain, jobA := postgres.NewImportStaging(pool), uuid.NewString()
	stage(plain, jobA)
	capture := &capturePublisher{}
	pub, err := NewImportPublisher(capture, "imports")
	if err != nil {
		t.Fatal(err)
	}
	err = plain.Each(ctx, jobA, 500, func(rows []command.ImportRow) error {
		batch := make([]command.ImportUserRow, len(rows))
		for i, r := range rows {
			batch[i] = command.ImportUserRow{JobID: jobA, TenantID: tenant, Source: command.SourceCSV, ImportRow: r}
		}
		return pub.Enqueue(ctx, batch)
	})
	if err != nil {
		t.Fatal(err)
	}

	// Straight from the staging table.
	queueing, err := postgres.NewQueueingImportStaging(qpool, ChunkRows, ChunkMessageID)
	if err != nil {
		t.Fatal(err)
	}
	admits := &countingAdmitter{}
	queueing.YieldBetweenBatches(admits)
	jobB := uuid.NewString()
	stage(queueing, jobB)
	queued, err := queueing.QueueStaged(ctx, command.NewImportJob{ID: jobB, TenantID: tenant, Source: command.SourceCSV})
	if err != nil || queued != 5300 {
		t.Fatalf("QueueStaged: %d rows, %v", queued, err)
	}
	// Two INSERTs (4 chunks, then the other 18 of 20 asked): the second
	// asked first; the short one was the last, with no read after it.
	if admits.admitted != 1 || admits.released != 1 {
		t.Errorf("the queueing asked %d times and released %d, want 1 and 1", admits.admitted, admits.released)
	}
	queuedOf := func(job string) []*message.Message {
		rs, err := qpool.Query(ctx, `SELECT uuid, payload::text, metadata::text FROM `+schema+`.watermill_imports
			WHERE metadata->>'job_id' = $1 ORDER BY "offset"`, job)
		if err != nil {
			t.Fatal(err)
		}
		var got []*message.Message
		for rs.Next() {
			var id, payload, metadata string
			if err := rs.Scan(&id, &payload, &metadata); err != nil {
				t.Fatal(err)
			}
			m := message.NewMessage(id, []byte(payload))
			if err := json.Unmarshal([]byte(metadata), &m.Metadata); err != nil {
				t.Fatal(err)
			}
			got = append(got, m)
		}
		if err := rs.Err(); err != nil {
			t.Fatal(err)
		}
		return got
	}
	got := queuedOf(jobB)

	if len(got) != len(capture.msgs) || len(got) != 22 {
		t.Fatalf("%d messages from staging, %d published; want 22", len(got), len(capture.msgs))
	}
	for i, want := range capture.msgs {
		g := got[i]
		wantRows, wantChunk, err := decodeMessage(want)
		if err != nil {
			t.Fatal(err)
		}
		gotRows, gotChunk, err := decodeMessage(g)
		if err != nil {
			t.Fatalf("message %d from staging: %v", i, err)
		}
		if !wantChunk || !gotChunk {
			t.Fatalf("message %d: chunk %v from staging, %v published", i, gotChunk, wantChunk)
		}
		for j := range wantRows {
			wantRows[j].JobID = jobB
		}
		if !reflect.DeepEqual(gotRows, wantRows) {
			t.Fatalf("message %d: rows differ:\nfrom staging %+v\npublished    %+v", i, gotRows, wantRows)
		}
		if g.UUID != ChunkMessageID(jobB, gotRows[0].Row) || want.UUID != ChunkMessageID(jobA, wantRows[0].Row) {
			t.Fatalf("message %d: id %s, want the chunk id of row %d", i, g.UUID, gotRows[0].Row)
		}
		wantMeta := maps.Clone(want.Metadata)
		for k, v := range wantMeta {
			wantMeta[k] = strings.ReplaceAll(v, jobA, jobB)
		}
		if !maps.Equal(map[string]string(g.Metadata), map[string]string(wantMeta)) {
			t.Fatalf("message %d: metadata %v, want %v", i, g.Metadata, wantMeta)
		}
	}
	// The kinds the rows were chosen for are all there.
	seen := map[string]bool{}
	for _, m := range got {
		rows, _, _ := decodeMessage(m)
		for _, r := range rows {
			seen["manager"] = seen["manager"] || r.ManagerRow != 0
			seen["rejected"] = seen["rejected"] || len(r.Rejection) > 0
			seen["cycle"] = seen["cycle"] || (r.Row == 4001 && len(r.Rejection) == 1 && r.Rejection[0].Code == "manager_cycle")
			seen["deactivate"] = seen["deactivate"] || r.Kind == command.RowDeactivate
			seen["modified"] = seen["modified"] || !r.SourceModifiedAt.IsZero()
		}
	}
	if len(seen) != 5 || !seen["manager"] || !seen["rejected"] || !seen["cycle"] || !seen["deactivate"] || !seen["modified"] {
		t.Fatalf("kinds of rows seen: %v", seen)
	}

	// While the API is busy the INSERTs are smaller (4 chunks after the
	// first 4: 18 chunks in 5), and the chunks are the same.
	busy := &countingAdmitter{busy: true}
	queueing.YieldBetweenBatches(busy)
	jobC := uuid.NewString()
	stage(queueing, jobC)
	if queued, err := queueing.QueueStaged(ctx, command.NewImportJob{ID: jobC, TenantID: tenant, Source: command.SourceCSV}); err != nil || queued != 5300 {
		t.Fatalf("QueueStaged beside a busy API: %d rows, %v", queued, err)
	}
	if busy.admitted != 5 || busy.released != 5 {
		t.Errorf("beside a busy API the queueing asked %d times and released %d, want 5 and 5 (INSERTs of 4 chunks)", busy.admitted, busy.released)
	}
	gotC := queuedOf(jobC)
	if len(gotC) != len(got) {
		t.Fatalf("beside a busy API %d messages, want %d", len(gotC), len(got))
	}
	for i := range got {
		b, _, _ := decodeMessage(got[i])
		c, _, _ := decodeMessage(gotC[i])
		for j := range c {
			c[j].JobID = jobB
		}
		if !reflect.DeepEqual(b, c) || gotC[i].UUID != ChunkMessageID(jobC, c[0].Row) {
			t.Fatalf("beside a busy API message %d differs", i)
		}
	}
}

// countingAdmitter admits at once and counts; busy is what it says of the
// API (postgres.QueueingImportStaging asks it to size its INSERTs).
type countingAdmitter struct {
	admitted, released int
	busy               bool
}

func (c *countingAdmitter) Busy(context.Context) bool { return c.busy }

func (c *countingAdmitter) Admit(context.Context) (func(), error) {
	c.admitted++
	return func() { c.released++ }, nil
}
