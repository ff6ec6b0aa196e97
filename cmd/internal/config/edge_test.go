package config_test

import (
	"io"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/userservice/userservice/cmd/internal/config"
)

func TestLoadEdgeSettings(t *testing.T) {
	c, err := config.Load(nil, env(map[string]string{
		"HTTP_READ_HEADER_TIMEOUT": "2s", "HTTP_READ_TIMEOUT": "1m", "HTTP_WRITE_TIMEOUT": "90s", "HTTP_IDLE_TIMEOUT": "30s",
		"OPS_ADDR": "127.0.0.1:0", "READINESS_CACHE": "0", "AUTH_FAILURE_RATE": "-1", "AUTH_FAILURE_BURST": "5",
		"AUTH_TOKEN_CACHE_TTL": "500ms",
		"TRUSTED_PROXIES":      "10.0.0.0/8, 192.168.1.7,::1", "PUBLIC_BASE_URL": "https://users.example.com/",
		"IMPORT_UPLOADS_PER_TENANT": "3", "IMPORT_SPOOL_BYTES_PER_TENANT": "1000",
	}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := config.Edge{
		HTTPReadHeaderTimeout: 2 * time.Second, HTTPReadTimeout: time.Minute, HTTPWriteTimeout: 90 * time.Second,
		HTTPIdleTimeout: 30 * time.Second, OpsAddr: "127.0.0.1:0", ReadinessCache: 0, AuthFailureRate: -1, AuthFailureBurst: 5,
		AuthTokenCacheTTL: 500 * time.Millisecond,
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.168.1.7/32"),
			netip.MustParsePrefix("::1/128")},
		PublicBaseURL: "https://users.example.com", ImportUploadsPerTenant: 3, ImportSpoolBytesPerTenant: 1000,
	}
	if !reflect.DeepEqual(c.Edge, want) {
		t.Errorf("edge:\n got %+v\nwant %+v", c.Edge, want)
	}
}

func TestLoadRefusesBadEdgeSettings(t *testing.T) {
	_, err := config.Load(nil, env(map[string]string{
		"HTTP_READ_HEADER_TIMEOUT": "0", "HTTP_READ_TIMEOUT": "-1s", "HTTP_WRITE_TIMEOUT": "x", "HTTP_IDLE_TIMEOUT": "",
		"OPS_ADDR": "nope", "READINESS_CACHE": "-2s", "AUTH_FAILURE_RATE": "0", "AUTH_FAILURE_BURST": "0",
		"TRUSTED_PROXIES": "10.0.0.0/33", "PUBLIC_BASE_URL": "ftp://x/?q",
		"IMPORT_UPLOADS_PER_TENANT": "0", "IMPORT_SPOOL_BYTES_PER_TENANT": "-5",
	}), io.Discard)
	for _, name := range []string{"HTTP_READ_HEADER_TIMEOUT", "HTTP_READ_TIMEOUT", "HTTP_WRITE_TIMEOUT", "HTTP_IDLE_TIMEOUT",
		"OPS_ADDR", "READINESS_CACHE", "AUTH_FAILURE_RATE", "AUTH_FAILURE_BURST", "TRUSTED_PROXIES", "PUBLIC_BASE_URL",
		"IMPORT_UPLOADS_PER_TENANT", "IMPORT_SPOOL_BYTES_PER_TENANT"} {
		if err == nil || !strings.Contains(err.Error(), name+":") {
			t.Errorf("error %v does not name %s", err, name)
		}
	}
}
