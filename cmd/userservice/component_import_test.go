package main

import (
	"testing"
	"time"

	"github.com/google/uuid"
)

// TestImportRoleImportsAnUpload runs the api and importer roles (and an idle
// hris-sync, as on the defaults): a CSV posted to the API is imported by the
// importer role and its job reports the outcome.
func TestImportRoleImportsAnUpload(t *testing.T) {
	t.Parallel()
	s := startService(t, "api,importer,hris-sync", "IMPORT_CONSUMERS", "2")
	tn := newTenant(t, 10)
	u := uuid.NewString()[:8]
	csv := "external_id,email,given_name,family_name,manager_external_id\n" +
		"R1-" + u + ",r1-" + u + "@example.com,Rosa,One,R2-" + u + "\n" +
		"R2-" + u + ",r2-" + u + "@example.com,Rosa,Two,\n" +
		"R3-" + u + ",,Rosa,Three,\n"
	started := s.call("POST", "/v1/imports", tn.importer, csv, "Content-Type", "text/csv").want(t, 202, "")
	job := started.str("id")
	deadline := time.Now().Add(30 * time.Second)
	for {
		got := s.call("GET", "/v1/imports/"+job, tn.importer, nil).want(t, 200, "")
		if st := got.str("status"); st == "completed" || st == "completed_with_errors" || st == "failed" {
			if st != "completed_with_errors" || got.num("created") != 2 || got.num("rejected") != 1 || got.num("total") != 3 {
				t.Fatalf("job: %s", got.raw)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("job not finished in 30s: %s", got.raw)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
