package main

import (
	"strings"
	"testing"
	"time"
)

// The encryption section judges on ÷ off against 0.90, per client count and
// for the import, and a missing side is "not measured", never "met".
func TestEncryptionTargets(t *testing.T) {
	t.Parallel()
	load := func(ok int) loadResult { return loadResult{Clients: 1, OK: ok, Window: time.Second} }
	r := report{Encrypt: &encryptResult{
		Levels: []encryptLevel{{Clients: 1, Off: load(100), On: load(95)}, {Clients: 8, Off: load(100), On: load(80)}},
		Import: &encryptImport{Rows: 1000,
			Off: []importTiming{{Took: time.Second, Processed: 1000, Finished: true}},
			On:  []importTiming{{Took: 2 * time.Second, Processed: 0}}},
	}}
	var w mdWriter
	r.encryptionTargets(&w)
	got := w.String()
	for _, want := range []string{
		"create-user commands/s at 1 clients | 0.95 | met |",
		"create-user commands/s at 8 clients | 0.80 | **missed** |",
		"import rows/s, 1000 new users | n/a | not measured |",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("targets lack %q:\n%s", want, got)
		}
	}
	if sideRate(r.Encrypt.Import.Off) != 1000 {
		t.Errorf("sideRate = %v, want 1000", sideRate(r.Encrypt.Import.Off))
	}
}
