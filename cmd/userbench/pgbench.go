package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/userservice/userservice/adapters/postgres"
)

// Per-transaction ids, computed by the server from pgbench's random numbers:
// user and event ids are time-ordered like the service's UUIDv7s (now() is
// fixed for the transaction, so every statement agrees on them); the command
// id is random text like the service's UUIDv4 idempotency keys.
const (
	pgbUserID    = `(lpad(to_hex((extract(epoch FROM now()) * 1000)::bigint), 12, '0') || lpad(to_hex(:r1::bigint), 16, '0') || lpad(to_hex(:client_id::int), 4, '0'))::uuid`
	pgbEventID   = `(lpad(to_hex((extract(epoch FROM now()) * 1000)::bigint), 12, '0') || lpad(to_hex(:r2::bigint), 16, '0') || lpad(to_hex(:client_id::int), 4, '0'))::uuid`
	pgbCommandID = `md5(:r3::text)::uuid::text`
	pgbEmail     = `'pgbench-' || :r3::text || '-' || :client_id::text || '@bench.example'`
)

// pgbenchScript is the SQL of one create-user command as the unit of work
// sends it (adapters/postgres: unit_of_work.go, stream.go, write.go,
// outbox.go), round trip for round trip: BEGIN; one pipeline with the
// idempotency lookup and the stream read; one pipeline with the command
// record, the event, the read-model row and the seat update; the outbox
// insert into the user's shard (which fires the NOTIFY trigger); COMMIT.
// Values are the ones the service itself wrote in this run (pgbench -D),
// passed as parameters like pgx does. tenantExpr is the tenant id: the
// :tenant variable, or an expression picking a tenant per client.
func pgbenchScript(tenantExpr string) string {
	var sb strings.Builder
	sb.WriteString(`\set r1 random(0, 9223372036854775806)
\set r2 random(0, 9223372036854775806)
\set r3 random(0, 9223372036854775806)
` + fmt.Sprintf(`\set shard random(0, %d)`, postgres.OutboxShards-1) + `
BEGIN;
\startpipeline
SELECT payload_hash, outcome FROM commands WHERE tenant_id = :tenant AND command_id = CMDID;
SELECT type, data FROM events WHERE stream_id = UID AND tenant_id = :tenant ORDER BY version;
\endpipeline
\startpipeline
INSERT INTO commands (tenant_id, command_id, type, source, actor, correlation_id, stream_id, payload, payload_hash, outcome)
VALUES (:tenant, CMDID, 'RegisterUser', 'api', :actor, :corr, UID, :cmd_payload, decode(:cmd_hash, 'hex'), :cmd_outcome);
INSERT INTO events (event_id, stream_id, tenant_id, version, type, data, occurred_at, command_id, correlation_id, actor, source)
VALUES (EID, UID, :tenant, 1, :event_type, :event_data, now(), CMDID, :corr, :actor, 'api');
INSERT INTO users (id, tenant_id, email, given_name, family_name, display_name, department, title, manager_id, external_id, locale, time_zone, status, version, created_at, updated_at)
VALUES (UID, :tenant, EMAIL, :given, :family, :display, :department, :title, NULL, NULL, :locale, :tz, 'active', 1, now(), now());
UPDATE tenants SET seats_used = seats_used + 1 WHERE id = :tenant AND seats_used + 1 <= seat_limit;
\endpipeline
`)
	for shard := range postgres.OutboxShards {
		kw := `\elif`
		if shard == 0 {
			kw = `\if`
		}
		fmt.Fprintf(&sb, "%s :shard = %d\nINSERT INTO watermill_%s (uuid, payload, metadata, transaction_id) "+
			"VALUES (EID::text, :outbox_payload, :outbox_metadata, pg_current_xact_id());\n", kw, shard, postgres.OutboxTopic(shard))
	}
	sb.WriteString("\\endif\nCOMMIT;\n")
	return strings.NewReplacer("CMDID", pgbCommandID, "UID", pgbUserID, "EID", pgbEventID, "EMAIL", pgbEmail,
		":tenant", tenantExpr).Replace(sb.String())
}

// templateSQL reads the rows of the tenant's latest create-user command.
const templateSQL = `
SELECT c.actor, c.correlation_id, c.payload::text, encode(c.payload_hash, 'hex'), c.outcome::text,
       e.event_id::text, e.type, e.data::text,
       u.given_name, u.family_name, u.display_name, u.department, u.title, u.locale, u.time_zone
FROM commands c
JOIN events e ON e.tenant_id = c.tenant_id AND e.command_id = c.command_id
JOIN users u ON u.id = c.stream_id
WHERE c.tenant_id = $1 AND c.type = 'RegisterUser'
ORDER BY c.recorded_at DESC LIMIT 1`

// pgbenchVars are the script's values, copied from what the service wrote for
// one of its own create-user commands, so both sides write the same bytes.
func pgbenchVars(ctx context.Context, pool *pgxpool.Pool, serviceTenant string) (map[string]string, error) {
	names := []string{"actor", "corr", "cmd_payload", "cmd_hash", "cmd_outcome", "event_id", "event_type", "event_data",
		"given", "family", "display", "department", "title", "locale", "tz"}
	vals := make([]string, len(names))
	dest := make([]any, len(names))
	for i := range vals {
		dest[i] = &vals[i]
	}
	if err := pool.QueryRow(ctx, templateSQL, serviceTenant).Scan(dest...); err != nil {
		return nil, fmt.Errorf("read the service's rows as the pgbench template: %w", err)
	}
	v := map[string]string{}
	for i, n := range names {
		v[n] = vals[i]
	}
	for shard := range postgres.OutboxShards {
		err := pool.QueryRow(ctx, `SELECT payload::text, metadata::text FROM watermill_`+postgres.OutboxTopic(shard)+
			` WHERE uuid = $1`, v["event_id"]).Scan(&vals[0], &vals[1])
		if err == nil {
			v["outbox_payload"], v["outbox_metadata"] = vals[0], vals[1]
			delete(v, "event_id")
			return v, nil
		}
	}
	return nil, fmt.Errorf("no outbox row for event %s", v["event_id"])
}

// pgbenchResult is one measured pgbench run.
type pgbenchResult struct {
	Clients int
	TPS     float64
	Done    int
	Failed  int
	Lat     latencies
	Err     string
	window  time.Duration
	lat     []time.Duration
}

// merge adds another run of the same level: the rate is weighted by time.
func (r pgbenchResult) merge(o pgbenchResult) pgbenchResult {
	if r.window == 0 {
		return o
	}
	total := r.window + o.window
	r.TPS = (r.TPS*r.window.Seconds() + o.TPS*o.window.Seconds()) / total.Seconds()
	r.window = total
	r.Done += o.Done
	r.Failed += o.Failed
	r.lat = append(r.lat, o.lat...)
	r.Lat = summarize(append([]time.Duration(nil), r.lat...))
	if r.Err == "" {
		r.Err = o.Err
	}
	return r
}

// runPgbench runs the script with clients connections and threads for d.
// With logPrefix set, every transaction's latency is logged and summarised.
func (b *bench) runPgbench(ctx context.Context, script string, vars map[string]string, clients int, d time.Duration, logPrefix string) (pgbenchResult, error) {
	args := []string{"-n", "-M", "prepared", "-c", strconv.Itoa(clients), "-j", strconv.Itoa(clients),
		"-T", strconv.Itoa(int(d.Round(time.Second).Seconds())), "-f", script}
	for k, v := range vars {
		args = append(args, "-D", k+"="+v)
	}
	if logPrefix != "" {
		args = append(args, "-l", "--log-prefix="+logPrefix)
	}
	args = append(args, b.dbURL)
	out, runErr := exec.CommandContext(ctx, b.opts.pgbench, args...).CombinedOutput()
	r, err := parsePgbench(string(out))
	r.Clients, r.window = clients, d
	if err != nil {
		return r, fmt.Errorf("pgbench (%v): %w\n%s", runErr, err, out)
	}
	if runErr != nil {
		r.Err = firstErrorLine(string(out))
	}
	if logPrefix != "" {
		lat, err := readPgbenchLogs(logPrefix)
		if err != nil {
			return r, err
		}
		r.lat = lat
		r.Lat = summarize(append([]time.Duration(nil), lat...))
	}
	return r, nil
}

var (
	tpsRe    = regexp.MustCompile(`(?m)^tps = ([0-9.]+)`)
	doneRe   = regexp.MustCompile(`(?m)^number of transactions actually processed: ([0-9]+)`)
	failedRe = regexp.MustCompile(`(?m)^number of failed transactions: ([0-9]+)`)
)

// parsePgbench reads pgbench's summary.
func parsePgbench(out string) (pgbenchResult, error) {
	var r pgbenchResult
	m := tpsRe.FindStringSubmatch(out)
	if m == nil {
		return r, errors.New("no tps line in pgbench output")
	}
	r.TPS, _ = strconv.ParseFloat(m[1], 64)
	if m := doneRe.FindStringSubmatch(out); m != nil {
		r.Done, _ = strconv.Atoi(m[1])
	}
	if m := failedRe.FindStringSubmatch(out); m != nil {
		r.Failed, _ = strconv.Atoi(m[1])
	}
	return r, nil
}

func firstErrorLine(out string) string {
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "error") || strings.Contains(line, "ERROR") {
			return strings.TrimSpace(line)
		}
	}
	return "pgbench exited with an error"
}

// readPgbenchLogs reads the per-transaction logs (prefix.PID[.THREAD]): the
// third field is the transaction's latency in microseconds.
func readPgbenchLogs(prefix string) ([]time.Duration, error) {
	files, err := filepath.Glob(prefix + ".*")
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("no pgbench logs at %s.*", prefix)
	}
	var out []time.Duration
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) < 3 {
				continue
			}
			if us, err := strconv.ParseInt(fields[2], 10, 64); err == nil {
				out = append(out, time.Duration(us)*time.Microsecond)
			}
		}
		f.Close()
		if err := sc.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}
