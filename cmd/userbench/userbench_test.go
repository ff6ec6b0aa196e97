package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSummarizePercentiles(t *testing.T) {
	t.Parallel()
	var ds []time.Duration
	for i := 100; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	got := summarize(ds)
	if got.N != 100 || got.P50 != 50*time.Millisecond || got.P99 != 99*time.Millisecond || got.Max != 100*time.Millisecond {
		t.Errorf("summarize = %+v, want n=100 p50=50ms p99=99ms max=100ms", got)
	}
	if (summarize(nil) != latencies{}) {
		t.Error("summarize(nil) is not zero")
	}
}

func TestParsePgbench(t *testing.T) {
	t.Parallel()
	out := `number of transactions actually processed: 3577
number of failed transactions: 2 (0.056%)
latency average = 1.671 ms
tps = 1196.676071 (without initial connection time)
`
	r, err := parsePgbench(out)
	if err != nil || r.TPS != 1196.676071 || r.Done != 3577 || r.Failed != 2 {
		t.Errorf("parsePgbench = %+v, %v", r, err)
	}
	if _, err := parsePgbench("pgbench: error: connection refused"); err == nil {
		t.Error("no error for output without a tps line")
	}
}

func TestReadPgbenchLogs(t *testing.T) {
	t.Parallel()
	prefix := filepath.Join(t.TempDir(), "log")
	if err := os.WriteFile(prefix+".42", []byte("0 1 1500 0 1795881278 272894\n0 2 failed 0 1795881278 278220\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(prefix+".42.1", []byte("1 1 2500 0 1795881278 277230\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := readPgbenchLogs(prefix)
	if err != nil || len(got) != 2 {
		t.Fatalf("readPgbenchLogs = %v, %v; want 2 latencies (the failed one skipped)", got, err)
	}
}

func TestPgbenchScriptHasNoPlaceholdersLeft(t *testing.T) {
	t.Parallel()
	for _, tenant := range []string{":tenant", "(:tenants::uuid[])[:client_id::int + 1]"} {
		s := pgbenchScript(tenant)
		for _, p := range []string{"CMDID", "UID", "EID", "EMAIL"} {
			if strings.Contains(s, p) {
				t.Errorf("script for %s still contains %s", tenant, p)
			}
		}
		if !strings.Contains(s, "WHERE id = "+tenant+" AND") || !strings.Contains(s, `\endif`) {
			t.Errorf("script for %s lacks the seat update or the shard branches:\n%s", tenant, s)
		}
	}
}

func TestReplaceGeneratedKeepsTheAnalysis(t *testing.T) {
	t.Parallel()
	doc := "# Benchmarks\n\nintro\n\n" + beginMarker + "\nold figures\n" + endMarker + "\n\n## Analysis\n\nkept\n"
	got := replaceGenerated(doc, beginMarker+"\nnew figures\n"+endMarker+"\n")
	if strings.Contains(got, "old figures") || !strings.Contains(got, "new figures") || !strings.HasSuffix(got, "## Analysis\n\nkept\n") {
		t.Errorf("replaceGenerated =\n%s", got)
	}
	if got := replaceGenerated("no markers\n", "gen\n"); got != "no markers\n\ngen\n" {
		t.Errorf("without markers = %q", got)
	}
}

func TestWithDatabase(t *testing.T) {
	t.Parallel()
	got, err := withDatabase("postgres://u:p@127.0.0.1:5432/userservice?sslmode=disable", "userservice_bench")
	if err != nil || got != "postgres://u:p@127.0.0.1:5432/userservice_bench?sslmode=disable" {
		t.Errorf("withDatabase = %q, %v", got, err)
	}
	if _, err := withDatabase("not a url", "x"); err == nil {
		t.Error("no error for a bad URL")
	}
}

func TestOptionsNeedTheServiceBinary(t *testing.T) {
	t.Parallel()
	noEnv := func(string) (string, bool) { return "", false }
	var sb strings.Builder
	if _, err := parseOptions([]string{"-profile", "quick"}, noEnv, &sb); err == nil || !strings.Contains(err.Error(), "-service-bin") {
		t.Errorf("err = %v, want -service-bin required", err)
	}
	if _, err := parseOptions([]string{"-service-bin", "x", "-profile", "huge", "-sections", "command,nope"}, noEnv, &sb); err == nil ||
		!strings.Contains(err.Error(), "huge") || !strings.Contains(err.Error(), "nope") {
		t.Errorf("err = %v, want both problems", err)
	}
}

func TestCumOf(t *testing.T) {
	t.Parallel()
	top := `      flat  flat%   sum%        cum   cum%
         0     0%   100%  9825.25ms 52.27%  github.com/ThreeDotsLabs/watermill-sql/v4/pkg/sql.(*PgxTx).QueryContext
         0     0% 99.91%     23.56s  7.64%  github.com/IBM/sarama.(*syncProducer).SendMessage`
	if got := cumOf(top, "PgxTx).QueryContext"); got != 9825250*time.Microsecond {
		t.Errorf("QueryContext = %s", got)
	}
	if got := cumOf(top, "syncProducer).SendMessage"); got != 23560*time.Millisecond {
		t.Errorf("SendMessage = %s", got)
	}
	if got := cumOf(top, "nothing"); got != 0 {
		t.Errorf("absent = %s", got)
	}
}
