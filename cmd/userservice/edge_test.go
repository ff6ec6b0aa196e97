package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestPublicBaseURLAndOpsListener runs the service with PUBLIC_BASE_URL and
// OPS_ADDR: SCIM's Location and meta.location use the configured URL
// whatever Host the request names, and the operations listener serves
// readiness (with details) and metrics but not the API.
func TestPublicBaseURLAndOpsListener(t *testing.T) {
	t.Parallel()
	opsAddr := freeAddr(t)
	s := startService(t, "api", "PUBLIC_BASE_URL", "https://users.example.com/", "OPS_ADDR", opsAddr)
	tn := newSCIMTenant(t, 5)
	r := s.scimCall("POST", "/Users", tn.scim, map[string]any{
		"schemas": []string{coreURN}, "userName": "base.url@example.com",
		"name": map[string]any{"givenName": "Base", "familyName": "Url"},
	}, "Host", "evil.example.org")
	r.want(t, http.StatusCreated, "")
	loc := r.header.Get("Location")
	meta, _ := r.body["meta"].(map[string]any)
	if !strings.HasPrefix(loc, "https://users.example.com/scim/v2/Users/") || meta["location"] != loc {
		t.Errorf("Location %q, meta.location %v; want both under https://users.example.com/scim/v2/Users/", loc, meta["location"])
	}
	get := func(url string) (int, string) {
		resp, err := noKeepAlive.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, body := get("http://" + opsAddr + "/readyz")
	var rb struct{ Checks map[string]string }
	if err := json.Unmarshal([]byte(body), &rb); err != nil || code != http.StatusOK || rb.Checks["postgres"] != "ok" {
		t.Errorf("ops readyz = %d %s", code, body)
	}
	if code, body := get("http://" + opsAddr + "/metrics"); code != http.StatusOK || !strings.Contains(body, "go_goroutines") {
		t.Errorf("ops metrics = %d", code)
	}
	if code, _ := get("http://" + opsAddr + "/v1/users"); code != http.StatusNotFound {
		t.Errorf("ops listener serves the API: %d", code)
	}
}
