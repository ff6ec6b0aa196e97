package postgres

import (
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/userservice/userservice/adapters/personaldata"
	"github.com/userservice/userservice/adapters/projection"
	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/domain/user"
)

func testKeys(t testing.TB) *personaldata.Keys {
	t.Helper()
	k := make([]byte, personaldata.MasterKeySize)
	_, _ = rand.Read(k)
	ring, err := personaldata.NewKeyring("test", map[string][]byte{"test": k})
	must(t, err)
	keys, err := personaldata.NewKeys(ring)
	must(t, err)
	return keys
}

// plaintextHits counts the rows of the write side's tables (events, outbox,
// commands, read model, import rows) whose text contains needle.
func (f *fixture) plaintextHits(needle string) map[string]int {
	f.t.Helper()
	hits := map[string]int{}
	queries := map[string]string{
		"events":   `SELECT count(*) FROM events WHERE tenant_id = $1 AND data::text LIKE '%' || $2 || '%'`,
		"commands": `SELECT count(*) FROM commands WHERE tenant_id = $1 AND (payload::text || outcome::text) LIKE '%' || $2 || '%'`,
		"users":    `SELECT count(*) FROM users u WHERE tenant_id = $1 AND u::text LIKE '%' || $2 || '%'`,
	}
	for i := 0; i < OutboxShards; i++ {
		queries["outbox "+OutboxTopic(i)] = `SELECT count(*) FROM watermill_` + OutboxTopic(i) +
			` WHERE metadata->>'tenant_id' = $1::text AND payload::text LIKE '%' || $2 || '%'`
	}
	for name, q := range queries {
		var n int
		must(f.t, f.pool.QueryRow(f.ctx, q, f.tenant, needle).Scan(&n))
		if n > 0 {
			hits[name] = n
		}
	}
	return hits
}

// With keys, the personal fields leave the unit of work sealed (events,
// outbox) while commands still decide on them (a change is detected against
// the decrypted state); an erasure deletes the key, empties the read model
// and the recorded commands, and a rebuild afterwards shows the user erased.
func TestPersonalDataIsSealedAndErasable(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 10)
	keys := testKeys(t)
	f.uow.EncryptPersonalData(keys)
	erase, err := command.NewEraseUserHandler(f.uow)
	must(t, err)

	res := f.register("grace.sealed@example.com")
	id := res.User.ID
	if hits := f.plaintextHits("grace.sealed@example.com"); len(hits) != 2 || hits["users"] == 0 || hits["commands"] == 0 {
		t.Fatalf("plaintext before erasure only in users and commands, got %v", hits)
	}
	// A change decided on the decrypted state: unchanged, then changed.
	again, err := f.upd.Handle(f.ctx, command.UpdateUser{Envelope: f.env(), UserID: id, Patch: user.Patch{GivenName: ptr("Ada")}})
	must(t, err)
	if again.Changed {
		t.Fatal("the same given name was a change: the stream did not decrypt")
	}
	_, err = f.upd.Handle(f.ctx, command.UpdateUser{Envelope: f.env(), UserID: id, Patch: user.Patch{FamilyName: ptr("Hopper-Sealed")}})
	must(t, err)
	events, err := (&Users{pool: f.pool, upcasters: user.EventUpcasters(), personal: keys}).StreamEvents(f.ctx, f.tenant, id)
	must(t, err)
	if len(events) != 2 || !strings.Contains(string(events[1].Data), "Hopper-Sealed") {
		t.Fatalf("events read back with the key: %+v", events)
	}

	erased, err := erase.Handle(f.ctx, command.EraseUser{Envelope: f.env(), UserID: id, Basis: "gdpr_art17"})
	must(t, err)
	if !erased.Changed || erased.User.Status != user.StatusDeleted || erased.User.Email != "" {
		t.Fatalf("erase result %+v", erased)
	}
	for _, needle := range []string{"grace.sealed@example.com", "Hopper-Sealed", "Lovelace"} {
		if hits := f.plaintextHits(needle); len(hits) != 0 {
			t.Errorf("%q in plaintext after erasure: %v", needle, hits)
		}
	}
	var n int
	must(t, f.pool.QueryRow(f.ctx, `SELECT count(*) FROM user_data_keys WHERE user_id = $1`, id).Scan(&n))
	if n != 0 {
		t.Fatal("the data key survived the erasure")
	}
	// Erasing again changes nothing; any other command finds no user.
	again, err = erase.Handle(f.ctx, command.EraseUser{Envelope: f.env(), UserID: id})
	must(t, err)
	if again.Changed {
		t.Fatal("a second erasure changed something")
	}
	_, err = f.upd.Handle(f.ctx, command.UpdateUser{Envelope: f.env(), UserID: id, Patch: user.Patch{GivenName: ptr("Back")}})
	if !errors.Is(err, user.ErrNotFound) {
		t.Fatalf("update of an erased user: %v, want not found", err)
	}
	events, err = (&Users{pool: f.pool, upcasters: user.EventUpcasters(), personal: keys}).StreamEvents(f.ctx, f.tenant, id)
	must(t, err)
	if !strings.Contains(string(events[0].Data), personaldata.ErasedMember) {
		t.Fatalf("first event after erasure: %s", events[0].Data)
	}

	// A rebuild reads the undecryptable history without failing and agrees
	// with the emptied row.
	rb, err := f.rebuild(f.ctx, projection.RebuildConfig{Verify: true, Opener: keys})
	must(t, err)
	if len(rb.Differences) != 0 {
		t.Fatalf("rebuild after erasure differs: %+v", rb.Differences)
	}
	// Without keys a rebuild refuses to read sealed history, rather than
	// wipe everyone's names.
	f.register("other.sealed@example.com")
	if _, err := f.rebuild(f.ctx, projection.RebuildConfig{Verify: true}); !errors.Is(err, personaldata.ErrNoKeys) {
		t.Fatalf("rebuild without keys: %v, want ErrNoKeys", err)
	}
}

// A user written in clear gets a data key with their first command once
// encryption is on, in that command's first event insert. Commands racing
// to be that first one (alone and grouped) all succeed: the losers, failed
// on the stream version or on the key's primary key, whichever the database
// checked first, are decided again on the winner's key. One key is stored,
// and it opens every event written after it.
func TestConcurrentFirstSealedCommandsStoreOneKey(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 10)
	res := f.register("clear.first@example.com") // f.uow seals nothing
	id := res.User.ID

	keys := testKeys(t)
	for _, grouped := range []bool{false, true} {
		sealing, err := NewUnitOfWork(f.pool, nil)
		must(t, err)
		sealing.EncryptPersonalData(keys)
		if grouped {
			must(t, sealing.EnableGroupCommit(GroupCommitConfig{MaxGroup: 8, InFlight: 1}))
		}
		upd, err := command.NewUpdateUserHandler(sealing)
		must(t, err)
		const writers = 6
		errs := make(chan error, writers)
		for i := range writers {
			go func() {
				dept := fmt.Sprintf("dept-%t-%d", grouped, i)
				_, err := upd.Handle(f.ctx, command.UpdateUser{Envelope: f.env(), UserID: id, Patch: user.Patch{Department: &dept}})
				errs <- err
			}()
		}
		for range writers {
			if err := <-errs; err != nil && !errors.Is(err, user.ErrVersionConflict) {
				t.Fatalf("grouped %t: a racing first sealed command failed: %v", grouped, err)
			}
		}
	}
	var n int
	must(t, f.pool.QueryRow(f.ctx, `SELECT count(*) FROM user_data_keys WHERE user_id = $1`, id).Scan(&n))
	if n != 1 {
		t.Fatalf("%d data keys stored for the user, want 1", n)
	}
	events, err := (&Users{pool: f.pool, upcasters: user.EventUpcasters(), personal: keys}).StreamEvents(f.ctx, f.tenant, id)
	must(t, err)
	sealed := 0
	for _, e := range events[1:] {
		if strings.Contains(string(e.Data), personaldata.ErasedMember) || !strings.Contains(string(e.Data), "dept-") {
			t.Fatalf("event %d does not open with the stored key: %s", e.Version, e.Data)
		}
		sealed++
	}
	if sealed == 0 {
		t.Fatal("no command was written")
	}
	if hits := f.plaintextHits("dept-"); hits["events"] != 0 {
		t.Fatalf("a department in clear in the events: %v", hits)
	}
}
