package postgres

import (
	"crypto/rand"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/userservice/userservice/adapters/personaldata"
	"github.com/userservice/userservice/adapters/projection"
	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/domain/user"
)

// rotationWriter is one process's command path during a key rotation: a
// unit of work with that process's master keys, registering users and
// changing its own ones until stopped.
type rotationWriter struct {
	reg   command.RegisterUserHandler
	upd   command.UpdateUserHandler
	mine  []user.ID
	count int
}

func newRotationWriter(f *fixture, keys *personaldata.Keys) *rotationWriter {
	uow, err := NewUnitOfWork(f.pool, nil)
	must(f.t, err)
	must(f.t, uow.EnableGroupCommit(GroupCommitConfig{}))
	uow.EncryptPersonalData(keys)
	w := &rotationWriter{}
	w.reg, err = command.NewRegisterUserHandler(uow, func() (user.ID, error) { id, err := uuid.NewV7(); return user.ID(id), err })
	must(f.t, err)
	w.upd, err = command.NewUpdateUserHandler(uow)
	must(f.t, err)
	return w
}

// run writes until stop is closed or, when limit is positive, limit
// commands are done; the first error ends it.
func (w *rotationWriter) run(f *fixture, name string, stop <-chan struct{}, limit int) error {
	for i := 0; limit <= 0 || i < limit; i++ {
		select {
		case <-stop:
			return nil
		default:
		}
		var err error
		if len(w.mine) < 5 || i%3 == 0 {
			var res command.Result
			res, err = w.reg.Handle(f.ctx, command.RegisterUser{Envelope: f.env(), Registration: user.Registration{
				Email: fmt.Sprintf("%s-%d@rotation.example", name, i), Profile: user.Profile{GivenName: "Rot", FamilyName: name}}})
			if err == nil {
				w.mine = append(w.mine, res.User.ID)
			}
		} else {
			// A change decides on the decrypted state, so it reads the key
			// the rotation may be re-wrapping at that moment.
			_, err = w.upd.Handle(f.ctx, command.UpdateUser{Envelope: f.env(), UserID: w.mine[i%len(w.mine)],
				Patch: user.Patch{Title: ptr(fmt.Sprintf("t%d", i))}})
		}
		if err != nil {
			return fmt.Errorf("%s, command %d: %w", name, i, err)
		}
		w.count++
	}
	return nil
}

// Key rotation without downtime, as docs/personal-data.md runs it: the new
// master key is first added beside the old one (a rolling restart), then made
// active (another), and `usersctl keys rotate` runs while commands go on.
// Processes of both restarts write at once here, and the rotation re-wraps
// keys that commands are reading; no command fails, every data key of the
// tenant ends wrapped by the new master key, and with the new key alone every
// event decrypts: a rebuild equals the read model.
func TestKeyRotationWhileWritesGoOn(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 100_000)
	oldID, newID := "old-"+uuid.NewString()[:8], "new-"+uuid.NewString()[:8]
	oldKey, newKey := make([]byte, personaldata.MasterKeySize), make([]byte, personaldata.MasterKeySize)
	_, _ = rand.Read(oldKey)
	_, _ = rand.Read(newKey)
	keysOf := func(active string, ids ...string) *personaldata.Keys {
		all := map[string][]byte{oldID: oldKey, newID: newKey}
		m := map[string][]byte{}
		for _, id := range ids {
			m[id] = all[id]
		}
		ring, err := personaldata.NewKeyring(active, m)
		must(t, err)
		k, err := personaldata.NewKeys(ring)
		must(t, err)
		return k
	}
	// History under the old key alone.
	before := newRotationWriter(f, keysOf(oldID, oldID))
	must(t, before.run(f, "before", nil, 20))
	// Both restarts' processes write; the rotation runs meanwhile.
	added := newRotationWriter(f, keysOf(oldID, oldID, newID))  // new key added, old still active
	active := newRotationWriter(f, keysOf(newID, oldID, newID)) // new key active
	during := keysOf(newID, oldID, newID)
	var (
		wg       sync.WaitGroup
		failures atomic.Value
	)
	start := func(w *rotationWriter, name string, stop <-chan struct{}) <-chan struct{} {
		done := make(chan struct{})
		wg.Go(func() {
			defer close(done)
			if err := w.run(f, name, stop, 0); err != nil {
				failures.CompareAndSwap(nil, err)
			}
		})
		return done
	}
	stopAdded, stopActive := make(chan struct{}), make(chan struct{})
	addedDone := start(added, "added", stopAdded)
	start(active, "active", stopActive)
	time.Sleep(300 * time.Millisecond)
	first, err := during.Rotate(f.ctx, f.pool, 2, nil) // while the first restart's processes still run
	must(t, err)
	// The second restart is complete once the old processes have exited,
	// their in-flight commands done (graceful shutdown): a registration
	// still committing would make a key under the old master key after the
	// rotation read the table.
	close(stopAdded)
	<-addedDone
	second, err := during.Rotate(f.ctx, f.pool, 2, nil)
	must(t, err)
	time.Sleep(200 * time.Millisecond)
	close(stopActive)
	wg.Wait()
	if err, _ := failures.Load().(error); err != nil {
		t.Fatalf("a command failed during the rotation: %v", err)
	}
	t.Logf("re-wrapped %d + %d keys while %d and %d commands ran", first, second, added.count, active.count)

	var stale, total int
	must(t, f.pool.QueryRow(f.ctx, `SELECT count(*) FILTER (WHERE master_key_id <> $2), count(*) FROM user_data_keys
		WHERE key_tenant_id = $1`, f.tenant, newID).Scan(&stale, &total))
	if stale != 0 || total != len(before.mine)+len(added.mine)+len(active.mine) {
		t.Fatalf("%d of %d data keys not wrapped by the new master key; want 0 of %d", stale, total,
			len(before.mine)+len(added.mine)+len(active.mine))
	}
	if pending, err := during.Pending(f.ctx, f.pool); err != nil || pending[oldID] != 0 {
		t.Fatalf("pending after rotation: %v, %v", pending, err)
	}
	// The old master key can go: the new one alone reads everything.
	rb, err := f.rebuild(f.ctx, projection.RebuildConfig{Verify: true, Opener: keysOf(newID, newID)})
	must(t, err)
	if len(rb.Differences) != 0 || rb.BulkEvents == 0 {
		t.Fatalf("rebuild with the new master key alone: %d events, differences %+v", rb.BulkEvents, rb.Differences)
	}
}
