package eventcontract_test

import (
	"crypto/rand"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/userservice/userservice/adapters/eventcontract"
	"github.com/userservice/userservice/adapters/eventcontract/eventtest"
	"github.com/userservice/userservice/adapters/personaldata"
	"github.com/userservice/userservice/domain/user"
)

// TestPublishedEventsMatchTheContract writes every kind of event through the
// real write path, relays it to a fresh Kafka topic and checks each record
// read back against the JSON Schemas, the headers and Decode.
func TestPublishedEventsMatchTheContract(t *testing.T) {
	t.Parallel()
	env := eventtest.New(t)
	envSchema, dataSchemas := schemas(t)
	for i := range 3 {
		env.Lifecycle(i)
	}
	// The smallest shapes: no optional profile field, no reason.
	bare := env.Register(fmt.Sprintf("bare-%d@example.com", time.Now().UnixNano()), user.Profile{GivenName: "B", FamilyName: "Are"})
	env.Deactivate(bare, "")
	deleted := env.Register(fmt.Sprintf("gone-%d@example.com", time.Now().UnixNano()), user.Profile{GivenName: "G", FamilyName: "One"})
	env.Delete(deleted, "no longer employed")
	erased := env.Register(fmt.Sprintf("erased-%d@example.com", time.Now().UnixNano()), user.Profile{GivenName: "E", FamilyName: "Rased"})
	env.Erase(erased)

	checkRecords(t, env, envSchema, dataSchemas, 3*eventtest.LifecycleEvents+6)
}

// With encryption on, the published events carry the sealed form, which the
// schemas describe too; a decoder without the key sees the personal fields
// unset, one with it sees them all.
func TestPublishedSealedEventsMatchTheContract(t *testing.T) {
	t.Parallel()
	env := eventtest.New(t)
	master := make([]byte, personaldata.MasterKeySize)
	_, _ = rand.Read(master)
	ring, err := personaldata.NewKeyring("k", map[string][]byte{"k": master})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := personaldata.NewKeys(ring)
	if err != nil {
		t.Fatal(err)
	}
	env.EncryptPersonalData(keys)
	envSchema, dataSchemas := schemas(t)
	env.Lifecycle(0)
	bare := env.Register(fmt.Sprintf("bare-%d@example.com", time.Now().UnixNano()), user.Profile{GivenName: "B", FamilyName: "Are"})
	env.Deactivate(bare, "")
	deleted := env.Register(fmt.Sprintf("gone-%d@example.com", time.Now().UnixNano()), user.Profile{GivenName: "G", FamilyName: "One"})
	env.Delete(deleted, "no longer employed")
	erased := env.Register(fmt.Sprintf("erased-%d@example.com", time.Now().UnixNano()), user.Profile{GivenName: "E", FamilyName: "Rased"})
	env.Erase(erased)
	records := checkRecords(t, env, envSchema, dataSchemas, eventtest.LifecycleEvents+6)

	opener := personaldata.StoreOpener{Keys: keys, DB: env.Pool}
	for _, r := range records {
		if eventcontract.IsTombstone(r.Value) {
			continue
		}
		if strings.Contains(string(r.Value), "@example.") || strings.Contains(string(r.Value), "Grace") {
			t.Errorf("record %s shows personal data in clear: %s", r.ID, r.Value)
		}
		ev, err := eventcontract.DecodeOpened(r.Value, opener)
		if err != nil {
			t.Fatalf("record %s: DecodeOpened: %v", r.ID, err)
		}
		if reg, ok := ev.Data.(user.Registered); ok {
			gone := ev.Subject == erased.String()
			if gone != (reg.Email == "") {
				t.Errorf("registration of %s decrypted to %q (erased: %v)", ev.Subject, reg.Email, gone)
			}
		}
	}
}

// checkRecords reads the Env's records and checks each against the JSON
// Schemas, the headers and Decode; it expects events events in the store,
// every current type among them, and a tombstone per erasure.
func checkRecords(t *testing.T, env *eventtest.Env, envSchema *jsonschema.Schema, dataSchemas map[string]*jsonschema.Schema,
	events int) []eventtest.Record {
	t.Helper()
	records := env.Records(eventtest.Patience)
	if !hasTombstone(records) {
		// It follows the user.erased record, maybe by a moment.
		records = append(records, env.ReadTopic(eventtest.Patience, hasTombstone)...)
	}
	ids := env.EventIDs()
	if want := events; len(ids) != want {
		t.Fatalf("%d events in the store, want %d", len(ids), want)
	}
	seenTypes := map[string]int{}
	seenIDs := map[string]bool{}
	for _, r := range records {
		if eventcontract.IsTombstone(r.Value) {
			seenTypes["tombstone"]++
			continue
		}
		if seenIDs[r.ID] {
			continue // at-least-once: a duplicate record is allowed, not checked twice
		}
		seenIDs[r.ID] = true
		if err := envSchema.Validate(instance(t, r.Value)); err != nil {
			t.Errorf("record %s/%d violates the envelope schema: %s\n%s", r.Key, r.Offset, errorDetail(err), r.Value)
			continue
		}
		ev, err := eventcontract.Decode(r.Value)
		if err != nil {
			t.Errorf("record %s: Decode: %v", r.ID, err)
			continue
		}
		seenTypes[ev.Type]++
		if err := dataSchemas[ev.Type].Validate(instance(t, ev.RawData())); err != nil {
			t.Errorf("record %s: data violates the %s schema: %s", r.ID, ev.Type, errorDetail(err))
		}
		if ev.Data == nil || ev.Data.EventType() != ev.Type { // the service publishes current types only
			t.Errorf("record %s: typed data %#v for type %s", r.ID, ev.Data, ev.Type)
		}
		checkHeaders(t, r, ev)
	}
	if len(seenIDs) != len(ids) {
		t.Errorf("%d distinct events on the topic, %d in the store", len(seenIDs), len(ids))
	}
	for _, typ := range append(eventTypes, "tombstone") {
		if seenTypes[typ] == 0 {
			t.Errorf("no %s event was published: the test does not cover it", typ)
		}
	}
	return records
}

// checkHeaders asserts the Kafka key and headers agree with the envelope.
func checkHeaders(t *testing.T, r eventtest.Record, ev eventcontract.Event) {
	t.Helper()
	want := map[string]string{
		eventcontract.MetaEventID:       ev.ID,
		eventcontract.MetaEventType:     ev.Type,
		eventcontract.MetaTenantID:      ev.TenantID,
		eventcontract.MetaStreamVersion: strconv.Itoa(ev.StreamVersion),
		eventcontract.MetaCorrelationID: ev.CorrelationID,
		eventcontract.MetaPartitionKey:  ev.Subject,
	}
	for k, v := range want {
		if r.Headers[k] != v {
			t.Errorf("record %s: header %s = %q, want %q", ev.ID, k, r.Headers[k], v)
		}
	}
	if r.Key != ev.Subject {
		t.Errorf("record %s: key %q, want the subject %q", ev.ID, r.Key, ev.Subject)
	}
	if _, err := user.ParseID(r.Key); err != nil {
		t.Errorf("record %s: key %q is not a user id: %v", ev.ID, r.Key, err)
	}
}

func hasTombstone(records []eventtest.Record) bool {
	for _, r := range records {
		if eventcontract.IsTombstone(r.Value) {
			return true
		}
	}
	return false
}
