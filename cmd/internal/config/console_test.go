package config_test

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/userservice/userservice/cmd/internal/config"
)

func TestConsoleSettings(t *testing.T) {
	key := strings.Repeat("ab", 32)
	c, err := config.Load([]string{"--demo-on-empty-database=true", "--log-format=AUTO"},
		env(map[string]string{"CONSOLE_SESSION_KEY": key}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Console.DemoOnEmptyDatabase || c.Console.LogFormat != config.LogFormatAuto || !bytes.Equal(c.Console.SessionKey, bytes.Repeat([]byte{0xab}, 32)) {
		t.Errorf("console config %+v", c.Console)
	}
	_, err = config.Load(nil, env(map[string]string{"CONSOLE_SESSION_KEY": "abcd", "LOG_FORMAT": "xml",
		"DEMO_ON_EMPTY_DATABASE": "maybe"}), io.Discard)
	for _, want := range []string{"CONSOLE_SESSION_KEY", "LOG_FORMAT", "DEMO_ON_EMPTY_DATABASE"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not name %s", err, want)
		}
	}
}
