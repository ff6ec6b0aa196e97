package eventcontract_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/userservice/userservice/adapters/eventcontract"
	"github.com/userservice/userservice/domain/user"
)

// FuzzDecode feeds arbitrary payloads to the subscribers' decoder, seeded with
// the real records documented in docs/events/README.md (and a v1 record made
// from one, to reach the upcaster). Decode must not panic, must fail only with
// its documented kinds, and a decoded event's data must survive the JSON
// store unchanged.
func FuzzDecode(f *testing.F) {
	readme, err := os.ReadFile(filepath.Join(schemaDir, "README.md"))
	if err != nil {
		f.Fatal(err)
	}
	for _, block := range strings.Split(string(readme), "```json\n")[1:] {
		body, _, _ := strings.Cut(block, "```")
		f.Add([]byte(body))
		if strings.Contains(body, `"user.deactivated.v2"`) {
			f.Add([]byte(strings.Replace(body, `"user.deactivated.v2"`, `"user.deactivated.v1"`, 1)))
		}
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		ev, err := eventcontract.Decode(payload)
		if err != nil {
			if !errors.Is(err, eventcontract.ErrMalformed) && !errors.Is(err, eventcontract.ErrInvalidEnvelope) &&
				!errors.Is(err, eventcontract.ErrUnknownType) && !errors.Is(err, eventcontract.ErrInvalidData) {
				t.Fatalf("Decode failed with an undocumented kind: %v", err)
			}
			if ev.Data != nil {
				t.Fatalf("Decode returned data %#v with error %v", ev.Data, err)
			}
			return
		}
		if ev.Data == nil {
			t.Fatal("Decode succeeded without data")
		}
		again, err := eventcontract.Decode(payload)
		if err != nil || !reflect.DeepEqual(again, ev) {
			t.Fatalf("Decode is not deterministic: %#v, %v then %#v", ev, err, again)
		}
		stored, err := json.Marshal(ev.Data)
		if err != nil {
			t.Fatalf("Marshal(%#v): %v", ev.Data, err)
		}
		back, err := user.DecodeEvent(ev.Data.EventType(), stored)
		if err != nil || !reflect.DeepEqual(back, ev.Data) {
			t.Fatalf("round trip of %#v = %#v, %v", ev.Data, back, err)
		}
	})
}
