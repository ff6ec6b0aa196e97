package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/userservice/userservice/adapters/hris"
	"github.com/userservice/userservice/adapters/kafka"
	"github.com/userservice/userservice/adapters/kafka/kafkatest"
	"github.com/userservice/userservice/adapters/personaldata"
	"github.com/userservice/userservice/adapters/postgres"
	"github.com/userservice/userservice/adapters/projection"
	"github.com/userservice/userservice/adapters/projection/republish"
	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/cmd/internal/service"
)

// TestErasureLeavesNoPersonalDataAnywhere is issue 22's "done when": users
// with a history from every way in (API, CSV, HRIS, SCIM) are erased (the
// SCIM one by SCIM DELETE with SCIM_DELETE=erase), and then no table of the
// database, no outbox row, no record of the Kafka topic (read from the
// beginning) and no projection holds any of their personal values in clear.
// A rebuild of the read model and a re-publication still pass afterwards,
// and write none either.
func TestErasureLeavesNoPersonalDataAnywhere(t *testing.T) {
	t.Parallel()
	master := make([]byte, personaldata.MasterKeySize)
	_, _ = rand.Read(master)
	masterKeys := "k1=" + base64.StdEncoding.EncodeToString(master)
	// The import rows go through a topic of the test's own: the shared
	// PostgreSQL queue would hand them to any importer of a parallel test,
	// which has no master keys.
	brokers := kafkatest.Brokers(t)
	importTopic := kafkatest.Topic(t, brokers, 2)
	// A database of its own: this service's relay publishes every tenant's
	// events of its database and its directory role writes them into that
	// database's user_directory, which on the shared test database would be
	// other tests' rows (the adapters/directory tests saw their events as
	// stale). The service migrates it on start.
	dbURL := freshDatabase(t)
	s := startService(t, "api,importer,relay,directory", "DATABASE_URL", dbURL, "MASTER_KEYS", masterKeys,
		"SCIM_DELETE", "erase", "IMPORT_CONSUMERS", "2", "IMPORT_QUEUE", "kafka", "IMPORT_KAFKA_TOPIC", importTopic)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	pool, err := pgxpool.New(ctx, dbURL)
	must(t, err)
	t.Cleanup(pool.Close)
	tn := newSCIMTenantOn(t, pool, 50)
	ring, err := personaldata.NewKeyring("k1", map[string][]byte{"k1": master})
	must(t, err)
	keys, err := personaldata.NewKeys(ring)
	must(t, err)

	// Every personal value below contains mark, and nothing else does.
	mark := "zqmark" + strings.ReplaceAll(uuid.NewString()[:8], "-", "")
	ids := map[string]string{} // source -> user id

	// API, with a history.
	api := s.call("POST", "/v1/users", tn.admin, map[string]any{"email": "api-" + mark + "@example.com",
		"given_name": "Api" + mark, "family_name": "Person", "title": "T-" + mark}).want(t, 201, "")
	ids["api"] = api.str("id")
	s.call("PATCH", "/v1/users/"+ids["api"], tn.admin, map[string]any{"family_name": "Changed" + mark}).want(t, 200, "")

	// CSV.
	// Its manager is outside the file and the tenant, so the row is imported
	// with a warning that quotes its external id and e-mail; keep_rows keeps
	// the original row for the failure report. Erasure must reach both.
	csv := "external_id,email,given_name,family_name,department,manager_external_id\n" +
		"CSV-" + mark + ",csv-" + mark + "@example.com,Csv" + mark + ",Person,Dep" + mark + ",NOBODY-" + mark + "\n"
	job := s.call("POST", "/v1/imports?keep_rows=true", tn.admin, csv, "Content-Type", "text/csv").want(t, 202, "").str("id")
	waitJob(t, s, tn.admin, job)

	// HRIS: a sync from a fake HRIS, applied by the service's importer role.
	hrisSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"employees": []map[string]any{{
			"employee_id": "HRIS-" + mark, "email": "hris-" + mark + "@example.com", "given_name": "Hris" + mark,
			"family_name": "Person", "title": "Boss" + mark, "status": "active", "last_modified": time.Now().UTC()}}})
	}))
	t.Cleanup(hrisSrv.Close)
	importPub, err := kafka.NewPublisher(kafka.PublisherConfig{Brokers: brokers}, nil)
	must(t, err)
	defer importPub.Close()
	syncApp, err := service.Build(pool, service.Options{HRIS: &hris.ClientConfig{URL: hrisSrv.URL, Token: "t"}, PersonalData: keys,
		ImportQueue: importPub, ImportTopic: importTopic})
	must(t, err)
	started, err := syncApp.Commands.SyncHRIS.Handle(ctx, command.SyncHRIS{TenantID: tn.id})
	must(t, err)
	waitJob(t, s, tn.admin, started.JobID)

	// SCIM.
	scim := s.scimCall("POST", "/Users", tn.scim, scimUser("scim-"+mark+"@example.com", "Scim"+mark, "Person", nil)).want(t, 201, "")
	ids["scim"] = scim.str("id")

	for _, src := range []string{"csv", "hris"} {
		list := s.call("GET", "/v1/users?email="+src+"-"+mark+"@example.com", tn.admin, nil).want(t, 200, "")
		users, _ := list.body["users"].([]any)
		if len(users) != 1 {
			t.Fatalf("%s user not found: %s", src, list.raw)
		}
		ids[src] = users[0].(map[string]any)["id"].(string)
		// A change through the API too: a history from two ways in.
		s.call("PATCH", "/v1/users/"+ids[src], tn.admin, map[string]any{"display_name": "Shown" + mark}).want(t, 200, "")
	}
	// Before the erasure the export has it all (and the values are there).
	export := s.call("GET", "/v1/users/"+ids["csv"]+"/export", tn.admin, nil).want(t, 200, "")
	if !strings.Contains(export.raw, "Csv"+mark) || len(export.body["import_rows"].([]any)) != 1 || len(export.body["events"].([]any)) < 2 {
		t.Fatalf("export before erasure: %s", export.raw)
	}
	// The CSV row's warning and its kept original row hold the values too,
	// so the scan after the erasure proves they were emptied.
	before := tablesContaining(t, ctx, pool, "csv-"+mark)
	if before["import_failures"] == 0 || before["import_source_rows"] == 0 {
		t.Fatalf("before erasure, the CSV user's values are in %v; want import_failures and import_source_rows among them", before)
	}

	// Erase: three over the API, one by SCIM DELETE.
	for _, src := range []string{"api", "csv", "hris"} {
		erased := s.call("POST", "/v1/users/"+ids[src]+"/erase", tn.admin, map[string]any{"basis": "gdpr_art17"}).want(t, 204, "")
		if erased.header.Get("X-Changed") != "true" {
			t.Errorf("erase of the %s user: X-Changed %q", src, erased.header.Get("X-Changed"))
		}
	}
	s.scimCall("DELETE", "/Users/"+ids["scim"], tn.scim, nil).want(t, 204, "")
	s.call("GET", "/v1/users/"+ids["scim"], tn.admin, nil).want(t, 404, "")

	// Kafka: every erasure's event and tombstone arrive; no record shows a value.
	records := kafkatest.Read(t, s.brokers, s.topic, time.Minute, func(got []*sarama.ConsumerMessage) bool {
		return tombstones(got) >= 4
	})
	if n := tombstones(records); n != 4 {
		t.Fatalf("%d tombstones on the topic, want 4", n)
	}
	for _, r := range records {
		if strings.Contains(string(r.Value), mark) {
			t.Errorf("Kafka record %s shows personal data: %s", r.Key, r.Value)
		}
	}
	// The directory catches up on the erasures (its rows were emptied at once).
	waitDirectory(t, ctx, pool, tn.id, mark, 4)

	// The database: every table, outbox and projections included.
	if hits := tablesContaining(t, ctx, pool, mark); len(hits) > 0 {
		t.Fatalf("personal data left in %v", hits)
	}

	// A rebuild still passes, and agrees with the emptied read model.
	rb, err := projection.NewRebuilder(pool, postgres.NewUsersRebuild(), projection.RebuildConfig{TenantID: tn.id,
		Verify: true, Opener: keys})
	must(t, err)
	res, err := rb.Run(ctx)
	must(t, err)
	if len(res.Differences) != 0 {
		t.Fatalf("rebuild after erasure: %+v", res.Differences)
	}
	// A re-publication still passes: sealed data and tombstones, no values.
	topic := kafkatest.Topic(t, s.brokers, 2)
	pub, err := kafka.NewPublisher(kafka.PublisherConfig{Brokers: s.brokers}, nil)
	must(t, err)
	defer pub.Close()
	rp, err := republish.New(pool, pub, republish.Config{Topic: topic, Reader: projection.ReaderConfig{TenantID: tn.id}})
	must(t, err)
	if _, err := rp.Run(ctx); err != nil {
		t.Fatal(err)
	}
	again := kafkatest.Read(t, s.brokers, topic, time.Minute, func(got []*sarama.ConsumerMessage) bool { return tombstones(got) >= 4 })
	for _, r := range again {
		if strings.Contains(string(r.Value), mark) {
			t.Errorf("re-published record shows personal data: %s", r.Value)
		}
	}
	if tombstones(again) != 4 {
		t.Errorf("re-publication sent %d tombstones, want 4", tombstones(again))
	}
	if hits := tablesContaining(t, ctx, pool, mark); len(hits) > 0 {
		t.Fatalf("personal data written back by the rebuild: %v", hits)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func tombstones(records []*sarama.ConsumerMessage) int {
	n := 0
	for _, r := range records {
		if len(r.Value) == 0 {
			n++
		}
	}
	return n
}

func waitJob(t *testing.T, s *svc, token, job string) {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		got := s.call("GET", "/v1/imports/"+job, token, nil).want(t, 200, "")
		switch got.str("status") {
		case "completed":
			return
		case "completed_with_errors", "failed":
			t.Fatalf("job %s: %s", job, got.raw)
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s not finished in 60s: %s", job, got.raw)
		}
	}
}

// waitDirectory waits until the directory shows the tenant's erased users as
// emptied tombstones: it applies user.erased after the events before it,
// which it may have decrypted just before the key went.
func waitDirectory(t *testing.T, ctx context.Context, pool *pgxpool.Pool, tenant, mark string, n int) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(200 * time.Millisecond) {
		var erased, marked int
		must(t, pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE status = 'deleted' AND email = ''),
			count(*) FILTER (WHERE strpos(d::text, $2) > 0) FROM user_directory d WHERE tenant_id = $1`, tenant, mark).Scan(&erased, &marked))
		if erased >= n && marked == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("directory: %d erased rows, %d with personal data, after a minute", erased, marked)
		}
	}
}

// tablesContaining lists the tables (and their row counts) of the public
// schema with a row whose text contains needle.
func tablesContaining(t *testing.T, ctx context.Context, pool *pgxpool.Pool, needle string) map[string]int {
	t.Helper()
	rows, err := pool.Query(ctx, `SELECT quote_ident(table_name) FROM information_schema.tables
		WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`)
	must(t, err)
	var tables []string
	for rows.Next() {
		var name string
		must(t, rows.Scan(&name))
		tables = append(tables, name)
	}
	must(t, rows.Err())
	hits := map[string]int{}
	for _, table := range tables {
		var n int
		must(t, pool.QueryRow(ctx, `SELECT count(*) FROM `+table+` x WHERE strpos(x::text, $1) > 0`, needle).Scan(&n))
		if n > 0 {
			hits[table] = n
		}
	}
	return hits
}
