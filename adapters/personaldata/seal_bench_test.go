package personaldata

import (
	"testing"

	"github.com/userservice/userservice/domain/user"
)

// The CPU cost per event of sealing and opening a registration of the
// usual size (the command path pays one Seal per event written and one
// Open per event read).
func BenchmarkSealRegistered(b *testing.B) {
	key, _ := newDataKey()
	data := []byte(registered)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Seal(key, stream, "user.registered.v2", data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpenRegistered(b *testing.B) {
	key, _ := newDataKey()
	sealed, _ := Seal(key, stream, "user.registered.v2", []byte(registered))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Open(key, stream, "user.registered.v2", sealed); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUnwrap(b *testing.B) {
	ring := testRing(&testing.T{}, "k", "k")
	key, _ := newDataKey()
	w, _ := ring.wrap(stream, key)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ring.unwrap(stream, w); err != nil {
			b.Fatal(err)
		}
	}
}

// The CPU cost per new user of an import chunk: a data key made and
// wrapped, and the registration sealed with it.
func BenchmarkNewUserKeyAndSeal(b *testing.B) {
	ring := testRing(&testing.T{}, "k", "k")
	keys := &Keys{ring: ring}
	data := []byte(registered)
	b.ReportAllocs()
	for b.Loop() {
		c := &ChunkKeys{keys: keys, open: map[user.ID]*DataKey{}}
		if _, err := c.Seal(stream, "user.registered.v2", data); err != nil {
			b.Fatal(err)
		}
	}
}
