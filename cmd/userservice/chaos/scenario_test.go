//go:build chaos

package chaos

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/userservice/userservice/adapters/kafka/kafkatest"
	"github.com/userservice/userservice/adapters/relay/relaytest"
	"github.com/userservice/userservice/app/auth"
	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/cmd/internal/service"
)

// roleNames are the processes of a scenario, one role each; directory is
// the Kafka subscriber that de-duplicates by event id.
var roleNames = []string{"api", "importer", "relay", "notifier", "directory"}

// scenario is one fault under load: a fresh tenant, topic and relay group,
// one process per role, a workload and an import.
type scenario struct {
	t     *testing.T
	env   *environment
	set   settings
	tag   string
	topic string
	// brokers are the Kafka the roles publish to and checkKafka reads.
	brokers []string

	tenant, admin, importer string
	scim                    string // a SCIM token
	apiBase                 string
	procs                   map[string]*proc
	load                    *workload

	jobID string
	// probeJobs are further imports of the tenant (the hostile-tenant
	// round's timed ones), whose rows' commands are the checks' too.
	probeJobs []string
	rows, bad int
	fig       figures
	// erasedAt are the tenant's erased users (stream id -> version of the
	// erasure), from the event store, for the checks.
	erasedAt map[string]int
}

func newScenario(t *testing.T, env *environment, set settings) *scenario {
	t.Helper()
	var b [4]byte
	_, _ = rand.Read(b[:])
	s := &scenario{t: t, env: env, set: set, tag: "c" + hex.EncodeToString(b[:]), procs: map[string]*proc{}}
	// A fault of an earlier scenario that failed half-way may have left
	// PostgreSQL or Kafka stopped or a proxy frozen: start from a healthy state.
	env.pgProxy.Thaw()
	env.kafkaProxy.Thaw()
	env.pg.Start(t)
	env.broker.Start(t)
	brokers := env.broker.Brokers()
	s.brokers = brokers
	s.topic = kafkatest.Topic(t, brokers, 4)
	group := "relay-" + s.tag
	relaytest.StartGroupAtEnd(t, env.pool, group)
	s.newTenant()

	addr := freeAddr(t)
	s.apiBase = "http://" + addr
	common := append(os.Environ(),
		"DATABASE_URL="+env.pg.URLVia(env.pgProxy.Addr()), "KAFKA_BROKERS="+strings.Join(brokers, ","),
		"KAFKA_TOPIC="+s.topic, "RELAY_CONSUMER_GROUP="+group, "MIGRATE_ON_START=false", "LOG_LEVEL=warn",
		"SHUTDOWN_TIMEOUT=5s", "API_RATE_LIMIT=-1", "SMTP_ADDR=", "NOTIFY_LEASE=10s", "WEBHOOK_ALLOW_INTERNAL=true", "IMPORT_CONSUMERS=4", "HTTP_ADDR="+freeAddr(t),
		"MASTER_KEYS="+chaosMasterKeys(), "SCIM_DELETE=erase")
	for _, role := range roleNames {
		env := append(append([]string(nil), common...), "DATABASE_MAX_CONNS=8")
		if role == "api" {
			// One transaction slot: with the workload's concurrent workers,
			// most commands are applied in groups, so killing the api kills
			// a group mid-flight (each command must still be all or nothing).
			env = append(env, "HTTP_ADDR="+addr, "COMMAND_GROUPS_IN_FLIGHT=1")
		}
		if role == "importer" {
			// One chunk a second: the import lasts the fault's whole window
			// (unbudgeted, the 1,000 rows took about 100 ms, and
			// kill-importer-mid-chunk could find every chunk committed).
			env = append(env, "IMPORT_ROWS_PER_SECOND=250")
		}
		s.procs[role] = startProc(t, role, s.env.bin, filepath.Join(s.env.logDir, s.tag+"-"+role+".log"), env)
	}
	waitHTTP(t, s.apiBase+"/healthz", 30*time.Second)
	s.load = newWorkload(s.apiBase, s.admin, s.tag)
	// Erasures mixed into the load (checkErasures).
	s.load.eraseOneIn = 20
	s.load.scimToken = s.scim
	t.Cleanup(func() {
		if t.Failed() {
			s.dumpLogs()
		}
	})
	return s
}

// newTenant creates the scenario's tenant, its tokens and its webhook.
func (s *scenario) newTenant() {
	t := s.t
	ctx := context.Background()
	// The webhook receiver is the test's, on loopback: allowed, as the
	// processes are (WEBHOOK_ALLOW_INTERNAL=true).
	application, err := service.Build(s.env.pool, service.Options{AllowInternalWebhooks: true})
	if err != nil {
		t.Fatal(err)
	}
	tn, err := application.Commands.CreateTenant.Handle(ctx, command.CreateTenant{Name: "chaos " + s.tag, Seats: 1_000_000})
	if err != nil {
		t.Fatal(err)
	}
	token := func(r auth.Role) string {
		tok, err := application.Commands.IssueToken.Handle(ctx, command.IssueToken{TenantID: tn.ID, Role: r})
		if err != nil {
			t.Fatal(err)
		}
		return tok.Plaintext
	}
	s.tenant, s.admin, s.importer, s.scim = tn.ID, token(auth.RoleAdmin), token(auth.RoleImporter), token(auth.RoleSCIM)
	_, err = application.Commands.SetNotificationSettings.Handle(ctx, command.SetNotificationSettings{TenantID: tn.ID,
		WebhookURL: s.env.hooks.srv.URL + "/hook/" + s.tag, WebhookSecret: "chaos-webhook-secret-" + s.tag})
	if err != nil {
		t.Fatal(err)
	}
}

// startImport posts the scenario's CSV file.
func (s *scenario) startImport() {
	t := s.t
	var csv string
	csv, s.bad = importFile(s.tag, s.set.importRows)
	s.rows = s.set.importRows
	req, _ := http.NewRequest(http.MethodPost, s.apiBase+"/v1/imports", strings.NewReader(csv))
	req.Header.Set("Authorization", "Bearer "+s.importer)
	req.Header.Set("Content-Type", "text/csv")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST /v1/imports: %d %s", resp.StatusCode, body)
	}
	var j job
	if err := json.Unmarshal(body, &j); err != nil || j.ID == "" {
		t.Fatalf("POST /v1/imports: no job id in %s (%v)", body, err)
	}
	s.jobID = j.ID
}

// job reads the import job.
func (s *scenario) job() job {
	var j job
	getJSON(s.t, s.apiBase, s.importer, "/v1/imports/"+s.jobID, &j)
	return j
}

// run drives the workload and the import, injects the fault once the import
// is under way, and returns when both are done and the fault is healed.
func (s *scenario) run(f fault) {
	t := s.t
	s.startImport()
	stop := make(chan struct{})
	loadDone := make(chan struct{})
	go func() {
		defer close(loadDone)
		s.load.run(s.set.workers, s.set.maxOps, stop)
	}()
	// Inject once a fifth of the file is in, so the fault hits every role busy.
	deadline := time.Now().Add(time.Minute)
	for j := s.job(); j.Processed < s.rows/5 && !j.finished() && time.Now().Before(deadline); j = s.job() {
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("%s: injecting %s", time.Now().UTC().Format("15:04:05.000"), f.name)
	f.inject(s)
	s.fig.faults++
	t.Logf("%s: %s healed", time.Now().UTC().Format("15:04:05.000"), f.name)
	// Some load after the fault, on the recovered system.
	time.Sleep(2 * time.Second)
	s.waitImport()
	close(stop)
	<-loadDone
}

// waitImport waits for the job to finish; parked rows (transient failures
// that outlived their retries, e.g. a long outage) are queued again once.
func (s *scenario) waitImport() {
	t := s.t
	deadline := time.Now().Add(5 * time.Minute)
	retried := false
	for {
		j := s.job()
		if j.finished() && j.Parked > 0 && !retried {
			t.Logf("import parked %d rows during the fault; retrying them", j.Parked)
			s.fig.parkedRetried += j.Parked
			s.post("/v1/imports/"+s.jobID+"/retry", s.importer)
			retried = true
			continue
		}
		if j.finished() && (j.Parked == 0 || retried) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("import not finished in 5 minutes: %+v", j)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (s *scenario) post(path, token string) {
	req, _ := http.NewRequest(http.MethodPost, s.apiBase+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		s.t.Fatalf("POST %s: %d %s", path, resp.StatusCode, body)
	}
}

// stopAll stops every process and adds up their unexpected exits.
func (s *scenario) stopAll() {
	for _, role := range roleNames {
		p := s.procs[role]
		p.stop()
		n, errs := p.crashReport()
		s.fig.crashes += n
		for _, e := range errs {
			s.t.Logf("supervisor: %s", e)
		}
	}
}

// dumpLogs prints the tail of every process log of a failed scenario.
func (s *scenario) dumpLogs() {
	for _, role := range roleNames {
		b, err := os.ReadFile(filepath.Join(s.env.logDir, s.tag+"-"+role+".log"))
		if err != nil {
			continue
		}
		if len(b) > 4000 {
			b = b[len(b)-4000:]
		}
		s.t.Logf("---- %s log (tail):\n%s", role, b)
	}
}
