package main

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"golang.org/x/text/encoding/charmap"

	"github.com/userservice/userservice/adapters/postgres/pgtest"
	"github.com/userservice/userservice/cmd/internal/service"
)

// startImporter runs the importer role in-process, built by the constructor
// the userservice role uses, until the test ends.
func startImporter(t *testing.T) {
	t.Helper()
	pool := pgtest.Pool(t)
	application, err := service.BuildApplication(pool, nil, nil)
	must(t, err)
	importer, err := service.NewImporter(application, service.ImporterConfig{DatabaseURL: pgtest.URL(), Pool: pool,
		Consumers: 2, PollInterval: 20 * time.Millisecond})
	must(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- importer.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("importer: %v", err)
		}
	})
}

// TestImportWaitReportsTheOutcome imports three valid rows and one invalid
// into a fresh tenant with --wait: the summary counts them, the rejected
// row is named with its field, and the exit code says the job had errors.
// `imports show` and `imports failures --csv` then read the same job.
func TestImportWaitReportsTheOutcome(t *testing.T) {
	t.Parallel()
	dbURL := pgtest.URL()
	startImporter(t)
	r := usersctl(t, dbURL, "tenant", "create", "--name", "Import Ltd", "--seats", "10")
	if r.code != 0 {
		t.Fatalf("tenant create: exit %d, %s", r.code, r.stderr)
	}
	tenant := strings.TrimSpace(r.stdout)

	u := uuid.NewString()[:8]
	file := filepath.Join(t.TempDir(), "people.csv")
	csv := "External ID,email,given_name,family_name\n" +
		"A1-" + u + ",ada-" + u + "@example.com,Ada,Lovelace\n" +
		"A2-" + u + ",grace-" + u + "@example.com,Grace,Hopper\n" +
		"A3-" + u + ",alan-" + u + "@example.com,Alan,Turing\n" +
		"A4-" + u + ",not-an-address,Bad,Row\n"
	must(t, os.WriteFile(file, []byte(csv), 0o600))

	r = usersctl(t, dbURL, "import", file, "--tenant", tenant, "--map", "external_id=External ID", "--wait")
	if r.code != 1 {
		t.Fatalf("import --wait: exit %d, want 1 (rows rejected)\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 2 {
		t.Fatalf("stdout should be the job id and the summary, got %q", r.stdout)
	}
	job := lines[0]
	if want := job + " completed_with_errors: created 3, updated 0, unchanged 0, skipped 0, rejected 1, parked 0"; lines[1] != want {
		t.Errorf("summary = %q\nwant      %q", lines[1], want)
	}
	for _, want := range []string{"queued 4 rows as import job " + job, "4/4 rows", "row 5 [A4-" + u + " not-an-address], field email \"not-an-address\":",
		"import job " + job + " completed with errors: 1 rows rejected, 0 parked"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}

	r = usersctl(t, dbURL, "imports", "show", job, "--tenant", tenant)
	if r.code != 0 || !strings.Contains(r.stdout, "completed_with_errors") || !strings.Contains(r.stdout, "processed    4 (100%)") {
		t.Errorf("imports show: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = usersctl(t, dbURL, "imports", "failures", job, "--tenant", tenant, "--csv")
	if rows := strings.Split(strings.TrimSpace(r.stdout), "\n"); r.code != 0 || len(rows) != 2 ||
		!strings.HasPrefix(rows[0], "row,field,code,message,severity,value,external_id,email") || !strings.HasPrefix(rows[1], "5,email,") {
		t.Errorf("imports failures --csv: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = usersctl(t, dbURL, "imports", "retry", job, "--tenant", tenant)
	if r.code != 0 || r.stdout != "requeued 0 parked rows of import job "+job+"\n" {
		t.Errorf("imports retry: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	other := uuid.NewString()
	r = usersctl(t, dbURL, "imports", "show", job, "--tenant", other)
	if r.code != 1 || !strings.Contains(r.stderr, "no import job "+job+" in tenant "+other) {
		t.Errorf("imports show in another tenant: exit %d, %s", r.code, r.stderr)
	}
}

// TestImportAnHRExport runs what the README walkthrough does on a small
// HR export (Windows-1252, semicolons, no e-mail column, Active/Inactive, a
// reused worker id, a manager outside the file): the mapping refused with
// suggestions, a dry run that writes nothing, then the import with
// --fail-on never.
func TestImportAnHRExport(t *testing.T) {
	t.Parallel()
	dbURL := pgtest.URL()
	startImporter(t)
	r := usersctl(t, dbURL, "tenant", "create", "--name", "HR Ltd", "--seats", "10")
	if r.code != 0 {
		t.Fatalf("tenant create: exit %d, %s", r.code, r.stderr)
	}
	tenant := strings.TrimSpace(r.stdout)
	u := uuid.NewString()[:8]
	export := "Worker ID;First Name;Last Name;Manager ID;Status\r\n" +
		"W1" + u + ";Zoë;Müller;;Active\r\n" +
		"W2" + u + ";José;Núñez;W1" + u + ";Inactive\r\n" +
		"W3" + u + ";Ann;Lee;X9;Active\r\n" +
		"W4" + u + ";Bob;One;W1" + u + ";Active\r\n" +
		"W4" + u + ";Bob;Two;W1" + u + ";Active\r\n"
	data, err := charmap.Windows1252.NewEncoder().String(export)
	must(t, err)
	file := filepath.Join(t.TempDir(), "export.csv")
	must(t, os.WriteFile(file, []byte(data), 0o600))

	r = usersctl(t, dbURL, "import", file, "--tenant", tenant)
	if r.code != 1 || !strings.Contains(r.stderr, `try: --map external_id="Worker ID"`) || !strings.Contains(r.stderr, "header as read: Worker ID | First Name") {
		t.Fatalf("mapping: exit %d\n%s", r.code, r.stderr)
	}
	flags := []string{"--tenant", tenant, "--map", "external_id=Worker ID", "--map", "given_name=First Name",
		"--map", "family_name=Last Name", "--map", "manager_external_id=Manager ID", "--derive", "email={Worker ID}@corp.example"}
	r = usersctl(t, dbURL, append([]string{"import", file, "--dry-run"}, flags...)...)
	if r.code != 1 || !strings.Contains(r.stdout, "dry run: 5 rows: would create 3, update 0, leave 0 unchanged, skip 0, reject 2; 1 warnings") ||
		!strings.Contains(r.stderr, `warning: row 4 [W3`+u) {
		t.Fatalf("dry run: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = usersctl(t, dbURL, "imports", "show", uuid.NewString(), "--tenant", tenant) // the dry run made no job
	if r.code != 1 {
		t.Fatalf("imports show after a dry run: exit %d", r.code)
	}
	r = usersctl(t, dbURL, append([]string{"import", file, "--wait", "--fail-on", "never", "--keep-rows"}, flags...)...)
	if r.code != 0 || !strings.Contains(r.stdout, "completed_with_errors: created 3, updated 0, unchanged 0, skipped 0, rejected 2, parked 0") ||
		!strings.Contains(r.stderr, "1 warnings (manager_not_found: 1)") || !strings.Contains(r.stderr, "rejected by code: duplicate_row: 2") ||
		!strings.Contains(r.stderr, "5/5 rows  done") {
		t.Fatalf("import --fail-on never: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	job := strings.SplitN(r.stdout, "\n", 2)[0]
	r = usersctl(t, dbURL, "imports", "failures", job, "--tenant", tenant, "--rows")
	dup := "external_id: rows 5, 6 (2 in all) have the same external id: none of them is imported (duplicate_row)"
	if want := "Worker ID,First Name,Last Name,Manager ID,Status,error\n" +
		"W4" + u + ",Bob,One,W1" + u + ",Active," + strconv.Quote(dup) + "\n" +
		"W4" + u + ",Bob,Two,W1" + u + ",Active," + strconv.Quote(dup) + "\n"; r.code != 0 || r.stdout != want {
		t.Fatalf("imports failures --rows: exit %d\n%s%s\nwant\n%s", r.code, r.stdout, r.stderr, want)
	}
}
