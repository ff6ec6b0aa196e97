package personaldata_test

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/userservice/userservice/adapters/personaldata"
	"github.com/userservice/userservice/adapters/postgres/pgtest"
	"github.com/userservice/userservice/domain/user"
)

func randomKey() []byte {
	k := make([]byte, personaldata.MasterKeySize)
	_, _ = rand.Read(k)
	return k
}

// A rotation re-wraps every key of the old master key with the new one,
// while both are configured; afterwards the new key alone opens what the
// old one sealed, and the old one can go.
func TestRotateRewrapsEveryKeyOnline(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pool := pgtest.Pool(t)
	oldID, newID := "old-"+uuid.NewString()[:8], "new-"+uuid.NewString()[:8]
	oldKey, newKey := randomKey(), randomKey()
	mk := func(active string, keys map[string][]byte) *personaldata.Keys {
		ring, err := personaldata.NewKeyring(active, keys)
		if err != nil {
			t.Fatal(err)
		}
		k, err := personaldata.NewKeys(ring)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	before := mk(oldID, map[string][]byte{oldID: oldKey})
	tenant := uuid.NewString()
	var users []user.ID
	sealed := map[user.ID][]byte{}
	for range 5 {
		id := user.ID(uuid.Must(uuid.NewV7()))
		users = append(users, id)
		key := before.NewUserKey(tenant, id)
		data, err := key.Seal("user.registered.v2", []byte(`{"tenant_id":"t","email":"rot@example.com"}`))
		if err != nil {
			t.Fatal(err)
		}
		sealed[id] = data
		conn, err := pool.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// The key alone, as a command stores it with its first event.
		stmt, args := key.WithNewKey("SELECT 1", nil)
		if _, err := conn.Exec(ctx, stmt, args...); err != nil {
			t.Fatal(err)
		}
		conn.Release()
	}
	during := mk(newID, map[string][]byte{oldID: oldKey, newID: newKey})
	n, err := during.Rotate(ctx, pool, 2, nil)
	if err != nil || n < len(users) {
		t.Fatalf("rotate: %d re-wrapped, %v", n, err)
	}
	if pending, err := during.Pending(ctx, pool); err != nil || pending[oldID] != 0 {
		t.Fatalf("pending after rotation: %v, %v", pending, err)
	}
	after := mk(newID, map[string][]byte{newID: newKey})
	for _, id := range users {
		wrapped, err := after.LoadKey(ctx, pool, id)
		if err != nil {
			t.Fatal(err)
		}
		opened, err := after.Open(id, "user.registered.v2", sealed[id], wrapped)
		if err != nil || string(opened) != `{"email":"rot@example.com","tenant_id":"t"}` {
			t.Fatalf("open with the new master key alone: %s, %v", opened, err)
		}
	}
	// Without the master key a key was wrapped by, nothing reads as erased:
	// it is an error (the documented lost-key failure mode).
	wrapped, _ := after.LoadKey(ctx, pool, users[0])
	if _, err := before.Open(users[0], "user.registered.v2", sealed[users[0]], wrapped); err == nil {
		t.Fatal("a key wrapped by an unknown master key opened")
	}
}
