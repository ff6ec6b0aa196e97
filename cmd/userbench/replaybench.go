package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/domain/user"
)

// replayResult is section 5: `usersctl replay` rebuilding the users read
// model against a raw sequential read of the same events.
type replayResult struct {
	Events       int64
	Generate     time.Duration
	RawReadFirst time.Duration // stream order, as the rebuild reads: before the first replay
	RawRead      time.Duration // the same, again, right before the second (the ratio's)
	// Checkpointed says a CHECKPOINT preceded each raw read (it needs
	// pg_checkpoint): no step paid for the dirty pages of the one before.
	Checkpointed bool
	First        time.Duration // the first replay: the live model lacks every generated user
	Replay       time.Duration // the second: the live model is up to date (the usual case)
	BulkPerSec   float64       // the second's bulk phase rate as usersctl reports it
	FirstOutput  string
	ReplayOutput string
	Waits        waitProfile // during the second replay
	Use          cpuUse
	Profile      *cpuProfile // of the second replay's usersctl process, when it runs long enough
	Err          error
	// Republish is `usersctl republish --from 1 --tenant T` of the same
	// events to a fresh topic, process start to exit.
	Republish       time.Duration
	RepublishOutput string
	RepublishErr    error
	// RawAsync is the batched producer reference measured here when
	// section 4, which measures it on its own backlog, did not run (a
	// smoke of this section alone): at most replayReferenceEvents records.
	RawAsync *producerRun
}

// replayReferenceEvents bounds the records of this section's own producer
// reference: enough for a steady rate, without a million messages in memory.
const replayReferenceEvents = 200_000

// RepublishPerSecond is events/s.
func (r replayResult) RepublishPerSecond() float64 { return perSecond(r.Events, r.Republish) }

// RawPerSecond and ReplayPerSecond are events/s.
func (r replayResult) RawPerSecond() float64    { return perSecond(r.Events, r.RawRead) }
func (r replayResult) ReplayPerSecond() float64 { return perSecond(r.Events, r.Replay) }

func perSecond(n int64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

// eventsPerUser shapes the generated history: a registration, then profile
// changes, the event the service writes most after registrations (the 5 in
// generateEventsSQL).
const eventsPerUser = 5

// generateEventsSQL writes users [$6, $7] of a tenant: version 1 is the
// template registration with the user's own e-mail, the later versions the
// template profile change. Ids are time-ordered like the service's UUIDv7s.
const generateEventsSQL = `
INSERT INTO events (event_id, stream_id, tenant_id, version, type, data, occurred_at, command_id, correlation_id, actor, source)
SELECT ($9 || lpad(to_hex(s.i * 16 + v.version), 12, '0'))::uuid, s.id, $1::uuid, v.version,
       CASE WHEN v.version = 1 THEN $2 ELSE $3 END,
       CASE WHEN v.version = 1 THEN jsonb_set($4::jsonb, '{email}', to_jsonb('r' || s.i || '@bench.example'))
            ELSE $5::jsonb END,
       now(), 'gen-' || s.i || '-' || v.version, 'userbench', 'userbench', 'api'
FROM (SELECT i, ($8 || lpad(to_hex(i), 12, '0'))::uuid AS id FROM generate_series($6::int, $7::int) AS i) s
CROSS JOIN generate_series(1, 5) AS v(version)
ORDER BY s.i, v.version`

// replay generates the events of one tenant, reads them raw, then times
// the real `usersctl replay --projection users --tenant T`.
func (b *bench) replay(ctx context.Context) (res replayResult) {
	t, err := b.newTenant(ctx, "userbench replay")
	if err != nil {
		res.Err = err
		return res
	}
	if err := b.generateReplayEvents(ctx, t, &res); err != nil {
		res.Err = err
		return res
	}

	res.Checkpointed = true
	// The generated users are not in the live read model yet, so the
	// first replay also inserts them all at the swap; the second finds the
	// model up to date, as when a projection is rebuilt in production.
	// Each is preceded by a checkpoint and a raw read of the same events:
	// the ratio compares the second with the read right before it, both
	// on the same cache, and neither writing out the pages a step before
	// it dirtied: the first replay's swap writes 200,000 users rows, and
	// the second's bulk read used to evict them (0.3 to 0.5 s more for
	// that read, measured at load 9 to 12; in the 18:51 run the second
	// bulk phase took 4.98 s against the first's 3.26).
	var out string
	for i, d := range []*time.Duration{&res.First, &res.Replay} {
		raw := []*time.Duration{&res.RawReadFirst, &res.RawRead}[i]
		if err := b.checkpointAndReadRaw(ctx, t.ID, res.Events, raw, &res.Checkpointed); err != nil {
			res.Err = err
			return res
		}
		b.log("replay: usersctl replay --projection users (%d of 2)", i+1)
		pprofAddr, err := freeAddr()
		if err != nil {
			res.Err = err
			return res
		}
		cmd := exec.CommandContext(ctx, b.opts.usersctlBin, "replay", "--projection", "users", "--tenant", t.ID)
		cmd.Env = append(append(os.Environ(), "DATABASE_URL="+b.dbURL, "USERBENCH_PPROF_ADDR="+pprofAddr), b.encryptionEnv()...)
		var buf strings.Builder
		cmd.Stdout, cmd.Stderr = &buf, &buf
		start := time.Now()
		if err := cmd.Start(); err != nil {
			res.Err = err
			return res
		}
		var (
			stopWaits func() waitProfile
			snap      cpuSnapshot
			waitProf  func() cpuProfile
		)
		if i == 1 {
			stopWaits, snap = sampleWaits(ctx, b.pool, b.set.SampleEvery), b.snapshotCPU(cmd.Process.Pid)
			// Profile only a replay that runs well past the profile's end:
			// the profile is lost if the process exits first.
			if seconds := int(res.First.Seconds()/2) - 1; seconds >= 2 {
				time.Sleep(300 * time.Millisecond)
				waitProf = b.profileCPU(ctx, &serviceProc{pprofAddr: pprofAddr}, "usersctl-replay", min(seconds, b.set.ProfileSeconds))
			}
		}
		err = cmd.Wait()
		*d = time.Since(start)
		if i == 1 {
			// The process has exited: its CPU time comes from its state.
			res.Use = b.snapshotCPU(0).since(snap, runtime.NumCPU())
			res.Use.Service = (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds() / d.Seconds()
			res.Waits = stopWaits()
			if waitProf != nil {
				p := waitProf()
				res.Profile = &p
			}
		}
		out = strings.TrimSpace(lastLines(buf.String(), 2))
		if err != nil {
			res.Err = fmt.Errorf("usersctl replay: %w: %s", err, out)
			return res
		}
		if i == 0 {
			res.FirstOutput = out
		}
	}
	res.ReplayOutput = out
	if m := bulkRateRe.FindStringSubmatch(out); m != nil {
		res.BulkPerSec, _ = strconv.ParseFloat(m[1], 64)
	}
	res.Republish, res.RepublishOutput, res.RepublishErr = b.republish(ctx, t.ID)
	if !b.opts.sections["relay"] {
		res.RawAsync = b.replayReference(ctx, t)
	}
	return res
}

// checkpointAndReadRaw checkpoints (when the role may: otherwise
// *checkpointed becomes false), then times a raw read of the tenant's
// events into *d.
func (b *bench) checkpointAndReadRaw(ctx context.Context, tenantID string, events int64, d *time.Duration, checkpointed *bool) error {
	if _, err := b.pool.Exec(ctx, `CHECKPOINT`); err != nil {
		b.log("replay: CHECKPOINT refused (%v): the steps are compared without it", err)
		*checkpointed = false
	}
	b.log("replay: raw read")
	start := time.Now()
	n, err := b.rawRead(ctx, tenantID)
	*d = time.Since(start)
	if err == nil && n != events {
		err = fmt.Errorf("raw read returned %d events, want %d", n, events)
	}
	return err
}

// replayReference runs the batched producer of section 4 on records shaped
// like the service's, for republish's ratio when section 4 did not run.
func (b *bench) replayReference(ctx context.Context, t tenant) *producerRun {
	run := producerRun{Name: "raw AsyncProducer, batched (reference)"}
	factory, err := b.newEventFactory(ctx, t)
	if err == nil {
		var msgs []outboxMsg
		if msgs, err = factory.events(replayReferenceEvents); err == nil {
			var topic string
			if topic, err = b.newTopic("raw"); err == nil {
				run = b.rawAsync(ctx, topic, msgs)
				b.log("replay: %s: %.0f/s", run.Name, run.PerSecond())
			}
		}
	}
	if err != nil {
		run.Err = err
	}
	return &run
}

// republish times the real `usersctl republish` of the tenant's events to a
// fresh topic.
func (b *bench) republish(ctx context.Context, tenantID string) (time.Duration, string, error) {
	topic, err := b.newTopic("republish")
	if err != nil {
		return 0, "", err
	}
	b.log("replay: usersctl republish --from 1 --tenant T")
	cmd := exec.CommandContext(ctx, b.opts.usersctlBin, "republish", "--from", "1", "--tenant", tenantID, "--topic", topic,
		"--brokers", strings.Join(b.brokers(), ","))
	cmd.Env = append(os.Environ(), "DATABASE_URL="+b.dbURL)
	var buf strings.Builder
	cmd.Stdout, cmd.Stderr = &buf, &buf
	start := time.Now()
	err = cmd.Run()
	took := time.Since(start)
	out := strings.TrimSpace(lastLines(buf.String(), 1))
	if err != nil {
		return took, out, fmt.Errorf("usersctl republish: %w: %s", err, out)
	}
	return took, out, nil
}

var bulkRateRe = regexp.MustCompile(`, ([0-9.]+) events/s`)

// eventTemplates registers a user and changes its department through the
// application's handlers, and returns the two events' types and data.
func (b *bench) eventTemplates(ctx context.Context, t tenant) (regType, regData, chType, chData string, err error) {
	env := func() command.Envelope {
		return command.Envelope{CommandID: uuid.NewString(), TenantID: t.ID, Actor: "userbench", Source: command.SourceAPI,
			CorrelationID: uuid.NewString()}
	}
	res, err := b.app.Commands.RegisterUser.Handle(ctx, command.RegisterUser{Envelope: env(),
		Registration: user.Registration{Email: b.nextEmail(), Profile: user.Profile{GivenName: "Ada", FamilyName: "Lovelace",
			DisplayName: "Ada Lovelace", Department: "bench", Title: "Engineer", Locale: "en-GB", TimeZone: "Europe/London"}}})
	if err != nil {
		return "", "", "", "", fmt.Errorf("register the template user: %w", err)
	}
	dept := "research"
	if _, err := b.app.Commands.UpdateUser.Handle(ctx, command.UpdateUser{Envelope: env(), UserID: res.User.ID,
		Patch: user.Patch{Department: &dept}}); err != nil {
		return "", "", "", "", fmt.Errorf("update the template user: %w", err)
	}
	q := `SELECT type, data::text FROM events WHERE stream_id = $1 AND version = $2`
	if err := b.pool.QueryRow(ctx, q, res.User.ID, 1).Scan(&regType, &regData); err != nil {
		return "", "", "", "", err
	}
	err = b.pool.QueryRow(ctx, q, res.User.ID, 2).Scan(&chType, &chData)
	return regType, regData, chType, chData, err
}

// rawRead reads every event of the tenant in stream order, the order the
// rebuild reads in, with the columns it reads, without decoding them.
func (b *bench) rawRead(ctx context.Context, tenantID string) (int64, error) {
	rows, err := b.pool.Query(ctx, `SELECT transaction_id::text::bigint, position, event_id::text, stream_id, tenant_id::text,
		version, type, data, occurred_at, command_id, correlation_id, actor, source
		FROM events WHERE tenant_id = $1 ORDER BY stream_id, version`, tenantID)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var n int64
	for rows.Next() {
		_ = rows.RawValues()
		n++
	}
	return n, rows.Err()
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// generateReplayEvents writes the section's events for tenant t (res.Events
// of them, timed in res.Generate) and analyses the events table.
func (b *bench) generateReplayEvents(ctx context.Context, t tenant, res *replayResult) error {
	regType, regData, chType, chData, err := b.eventTemplates(ctx, t)
	if err != nil {
		return err
	}
	users := b.set.ReplayEvents / eventsPerUser
	res.Events = int64(users*eventsPerUser) + 2 // and the template user's two
	b.log("replay: generating %d events", res.Events)
	var rb [8]byte
	_, _ = rand.Read(rb[:])
	userPrefix := hex.EncodeToString(rb[:4]) + "-0000-7000-8000-"
	eventPrefix := hex.EncodeToString(rb[4:]) + "-0000-7000-9000-"
	start := time.Now()
	const chunk = 50000
	for lo := 0; lo < users; lo += chunk {
		if _, err := b.pool.Exec(ctx, generateEventsSQL, t.ID, regType, chType, regData, chData, lo, min(lo+chunk, users)-1,
			userPrefix, eventPrefix); err != nil {
			return fmt.Errorf("generate events: %w", err)
		}
	}
	res.Generate = time.Since(start)
	if _, err := b.pool.Exec(ctx, `VACUUM (ANALYZE) events`); err != nil {
		b.log("replay: vacuum: %v", err)
	}
	return nil
}
