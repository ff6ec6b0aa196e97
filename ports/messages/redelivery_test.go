package messages_test

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/pubsub/gochannel"

	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/app/query"
	"github.com/userservice/userservice/domain/user"
	"github.com/userservice/userservice/ports/messages"
)

// TestRedeliveredMessageChangesNoCount delivers rows again after their job
// finished, through the queue and straight to the handler.
func TestRedeliveredMessageChangesNoCount(t *testing.T) {
	t.Parallel()
	h := newHarness(t, 10, options{})
	h.startRouter(messagesConfig())
	started := h.importCSV(header + "R1,r1@example.com,Re,One,,,,,\nR2,bad,Re,Two,,,,,\nR3,r3@example.com,Re,Three,,,,R1,\n")
	job := h.waitFinished(started.JobID)
	want := counts{total: 3, created: 2, rejected: 1}
	if got := countsOf(job); got != want {
		t.Fatalf("counts = %+v, want %+v", got, want)
	}
	events := h.events()
	rows := []command.ImportUserRow{
		{JobID: started.JobID, TenantID: h.tenant, Source: command.SourceCSV, ImportRow: command.ImportRow{Row: 2,
			Fields: map[string]string{"external_id": "R1", "email": "r1@example.com", "given_name": "Re", "family_name": "One"}}},
		{JobID: started.JobID, TenantID: h.tenant, Source: command.SourceCSV, ImportRow: command.ImportRow{Row: 3,
			Fields: map[string]string{"external_id": "R2", "email": "bad", "given_name": "Re", "family_name": "Two"}}},
	}
	for _, r := range rows {
		res, err := h.app.Commands.ImportUserRow.Handle(h.ctx, r)
		if err != nil || !res.Duplicate {
			t.Fatalf("direct redelivery of row %d: %+v, %v", r.Row, res, err)
		}
	}
	must(t, h.queue.Enqueue(h.ctx, rows))
	h.waitDrained(started.JobID)
	if got := countsOf(h.waitFinished(started.JobID)); got != want || h.events() != events {
		t.Fatalf("after redelivery counts = %+v (want %+v), events %d (want %d)", got, want, h.events(), events)
	}
	if n := len(h.failures(started.JobID)); n != 1 {
		t.Fatalf("%d failures after redelivery, want 1", n)
	}
}

// waitDrained waits until no message of the job is left in the queue.
func (h *harness) waitDrained(jobID string) {
	h.t.Helper()
	for {
		var n int
		must(h.t, h.pool.QueryRow(h.ctx, `SELECT count(*) FROM watermill_imports WHERE metadata->>'job_id' = $1`, jobID).Scan(&n))
		if n == 0 {
			return
		}
		select {
		case <-h.ctx.Done():
			h.t.Fatalf("%d messages of job %s still queued", n, jobID)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// TestCommandRecordedWithoutOutcomeCountsOnce: a row whose command was
// recorded by a delivery that did not record the outcome with it (the
// importer before chunks committed whole) is counted from the recorded
// command, and nothing is written again.
func TestCommandRecordedWithoutOutcomeCountsOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t, 10, options{})
	jobID := h.newJob()
	env := command.Envelope{CommandID: "import:" + jobID + ":2", TenantID: h.tenant, Actor: "csv:" + jobID,
		Source: command.SourceCSV, CorrelationID: jobID}
	first, err := h.app.Commands.RegisterUser.Handle(h.ctx, command.RegisterUser{Envelope: env,
		Registration: user.Registration{Email: "c1@example.com", Profile: user.Profile{GivenName: "Cr", FamilyName: "Ash", ExternalID: "C1"}}})
	must(t, err)
	events := h.events()
	res, err := h.app.Commands.ImportUserRow.Handle(h.ctx, command.ImportUserRow{JobID: jobID, TenantID: h.tenant,
		Source: command.SourceCSV, ImportRow: command.ImportRow{Row: 2, Fields: map[string]string{"external_id": "C1",
			"email": "c1@example.com", "given_name": "Cr", "family_name": "Ash"}}})
	if err != nil || res.Outcome != command.OutcomeCreated || res.Duplicate {
		t.Fatalf("row redelivered: %+v, %v; want created", res, err)
	}
	must(t, h.store.SealImportJob(h.ctx, jobID, 1))
	job, err := h.app.Queries.GetImport.Handle(h.ctx, query.GetImport{TenantID: h.tenant, JobID: jobID})
	must(t, err)
	if got := countsOf(job); got != (counts{total: 1, created: 1}) || job.Status != "completed" || h.events() != events {
		t.Fatalf("job %+v (%s), %d new events", got, job.Status, h.events()-events)
	}
	if u := h.userByExternalID("C1"); u.ID != first.User.ID {
		t.Fatalf("user %s, want %s", u.ID, first.User.ID)
	}
}

// flakyChunks fails every chunk with one e-mail address while broken is
// set: a transient failure of one row.
type flakyChunks struct {
	command.ImportChunkStore
	broken atomic.Bool
}

func (f *flakyChunks) ApplyChunk(ctx context.Context, k command.ChunkKeys,
	decide func(command.ChunkView) (command.ChunkPlan, error)) (command.ChunkPlan, error) {
	if slices.Contains(k.Emails, "flaky@example.com") && f.broken.Load() {
		return command.ChunkPlan{}, errors.New("database unavailable")
	}
	return f.ImportChunkStore.ApplyChunk(ctx, k, decide)
}

// TestTransientFailuresParkThenRetry runs the router on an in-process
// GoChannel (so the injected failure cannot touch other tests' rows) with the
// real stores: the failing row is retried, parked with its error, visible,
// and imported by a retry once the failure is gone.
func TestTransientFailuresParkThenRetry(t *testing.T) {
	t.Parallel()
	bus := gochannel.NewGoChannel(gochannel.Config{OutputChannelBuffer: 100, Persistent: true}, watermill.NopLogger{})
	t.Cleanup(func() { _ = bus.Close() })
	finder := &flakyChunks{}
	finder.broken.Store(true)
	h := newHarness(t, 10, options{publisher: bus, topic: "imports-test",
		chunks: func(f command.ImportChunkStore) command.ImportChunkStore { finder.ImportChunkStore = f; return finder }})
	cfg := messagesConfig()
	cfg.Sources = []messages.Source{{Name: "bus", Subscriber: bus, Topic: "imports-test", Consumers: 1}}
	cfg.Requeue, cfg.RequeueTopic, cfg.MaxAttempts = bus, "imports-test", 3
	h.startRouter(cfg)

	started := h.importCSV("email,given_name,family_name\nok@example.com,O,K\nflaky@example.com,Fla,Ky\n")
	job := h.waitFinished(started.JobID)
	if got := countsOf(job); got != (counts{total: 2, created: 1, parked: 1}) || job.Status != "completed_with_errors" {
		t.Fatalf("job %+v (%s), want one created and one parked", got, job.Status)
	}
	parked, err := h.app.Queries.ListParkedImportRows.Handle(h.ctx, query.ListParkedImportRows{TenantID: h.tenant, JobID: started.JobID})
	must(t, err)
	if len(parked) != 1 || parked[0].Row != 3 || parked[0].Error == "" {
		t.Fatalf("parked rows = %+v", parked)
	}
	finder.broken.Store(false)
	n, err := h.app.Commands.RetryImport.Handle(h.ctx, command.RetryImport{TenantID: h.tenant, JobID: started.JobID})
	if err != nil || n != 1 {
		t.Fatalf("retry: %d rows, %v", n, err)
	}
	for {
		job, err = h.app.Queries.GetImport.Handle(h.ctx, query.GetImport{TenantID: h.tenant, JobID: started.JobID})
		must(t, err)
		if job.Parked == 0 && job.Status == "completed" || h.ctx.Err() != nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := countsOf(job); got != (counts{total: 2, created: 2}) || job.Status != "completed" {
		t.Fatalf("after the retry: %+v (%s)", got, job.Status)
	}
	if _, err := h.app.Commands.RetryImport.Handle(h.ctx, command.RetryImport{TenantID: "00000000-0000-0000-0000-000000000000",
		JobID: started.JobID}); !errors.Is(err, query.ErrImportNotFound) {
		t.Fatalf("retry from another tenant: %v", err)
	}
}
