package main

import (
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

func TestImportCSVIsWhatTheBaselineCopies(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "rows.csv")
	size, err := writeImportCSV(path, 25, noManagers)
	if err != nil || size <= 0 {
		t.Fatalf("writeImportCSV = %d, %v", size, err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil || len(recs) != 26 || strings.Join(recs[0], ",")+"\r\n" != importCSVHeader {
		t.Fatalf("file = %d records, %v; header %v", len(recs), err, recs[0])
	}
	var rows copyRows
	tenantID, job := uuid.NewString(), uuid.NewString()
	for i, rec := range recs[1:] {
		field := func(c string) string {
			for j, h := range recs[0] {
				if h == c {
					return rec[j]
				}
			}
			return ""
		}
		if err := rows.add(context.Background(), tenantID, job, i+2, field); err != nil {
			t.Fatalf("row %d: %v", i+2, err)
		}
	}
	outbox := 0
	for _, s := range rows.outbox {
		outbox += len(s)
	}
	if rows.n != 25 || len(rows.commands) != 25 || len(rows.events) != 25 || len(rows.users) != 25 || outbox != 25 {
		t.Errorf("rows: n %d, commands %d, events %d, users %d, outbox %d; want 25 of each",
			rows.n, len(rows.commands), len(rows.events), len(rows.users), outbox)
	}
	if got := rows.commands[0][1]; got != "import:"+job+":2" {
		t.Errorf("first command id = %v, want the importer's import:<job>:<row>", got)
	}
}

func TestReportJudgesImportAndInterference(t *testing.T) {
	t.Parallel()
	r := report{Set: settings{Name: "quick", ImportCap: time.Minute, Warmup: time.Second, Duration: time.Second},
		Import: &importResult{Runs: []importRun{
			{Rows: 1000, Took: 10 * time.Second, Processed: 1000, Finished: true, ImporterKB: 20000, APIKB: 30000,
				Copy: copyRun{Rows: 1000, Took: time.Second}, Again: &againRun{Took: 500 * time.Millisecond, Processed: 1000, Finished: true}},
			{Rows: 10000, Took: 10 * time.Second, Processed: 5000, ImporterKB: 21000, APIKB: 90000,
				Copy: copyRun{Rows: 10000, Took: 2 * time.Second}},
		}, Managers: &managersRun{Rows: 1000, First: importRun{Took: time.Second, Processed: 1000}, Last: importRun{Took: 2 * time.Second, Processed: 1000}},
			Interference: &interferenceRun{Rows: 10000,
				Idle:   loadResult{Clients: 8, OK: 10, Window: time.Second, Lat: latencies{N: 10, P99: 10 * time.Millisecond}},
				Loaded: loadResult{Clients: 8, OK: 10, Window: time.Second, Lat: latencies{N: 10, P99: 30 * time.Millisecond}}}}}
	md := r.markdown()
	for _, want := range []string{
		"new users: import rows/s ÷ CopyFrom rows/s ≥ 0.5, 1000 rows | 0.10 | **missed**",
		"unchanged re-import rows/s ÷ CopyFrom rows/s ≥ 1.0, 1000 rows | 2.00 | met",
		"managers-last file rows/s ÷ managers-first rows/s ≥ 0.8, 1000 rows | 0.50 | **missed**",
		"10000 rows (stopped at the 1m0s cap) | 0.10 | **missed**",
		"importer process | 19.5 → 20.5 MiB (1.05×) | met",
		"api process (takes the upload, queues the rows) | 29.3 → 87.9 MiB (3.00×) | **missed**",
		"30.0 / 10.0 ms = 3.00× | **missed**",
		"**stopped at the 1m0s cap**: 5000 of 10000 rows had an outcome",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
}
