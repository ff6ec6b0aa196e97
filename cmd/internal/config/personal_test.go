package config_test

import (
	"io"
	"strings"
	"testing"

	"github.com/userservice/userservice/cmd/internal/config"
)

func TestMasterKeysAreParsedAndNeverEchoed(t *testing.T) {
	const key = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=" // 32 bytes
	env := map[string]string{"MASTER_KEYS": "2026-11=" + key + ", 2026-12=" + key, "MASTER_KEY_ACTIVE": "2026-12", "SCIM_DELETE": "erase"}
	c, err := config.Load(nil, func(k string) (string, bool) { v, ok := env[k]; return v, ok }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Personal.MasterKeys) != 2 || c.Personal.MasterKeyActive != "2026-12" || c.Personal.SCIMDelete != config.SCIMDeleteErase {
		t.Fatalf("personal config %+v", c.Personal)
	}
	if keys, err := c.Personal.Keys(); err != nil || keys == nil {
		t.Fatalf("keys: %v", err)
	}
	env = map[string]string{"MASTER_KEYS": "a=" + key + ",b=c2hvcnQ=", "MASTER_KEY_ACTIVE": "zz"}
	_, err = config.Load(nil, func(k string) (string, bool) { v, ok := env[k]; return v, ok }, io.Discard)
	if err == nil || !strings.Contains(err.Error(), `key "b"`) || strings.Contains(err.Error(), "c2hvcnQ") {
		t.Fatalf("bad key: %v", err)
	}
	env = map[string]string{"MASTER_KEYS": "a=" + key, "MASTER_KEY_ACTIVE": "zz"}
	_, err = config.Load(nil, func(k string) (string, bool) { v, ok := env[k]; return v, ok }, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "MASTER_KEY_ACTIVE") || strings.Contains(err.Error(), key) {
		t.Fatalf("unknown active key: %v", err)
	}
}
