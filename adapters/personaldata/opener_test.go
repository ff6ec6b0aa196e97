package personaldata_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/userservice/userservice/adapters/eventcontract"
	"github.com/userservice/userservice/adapters/personaldata"
	"github.com/userservice/userservice/adapters/postgres/pgtest"
	"github.com/userservice/userservice/domain/user"
)

// A key store that does not answer in time makes a sealed event "retry
// later" (ErrOpenerUnavailable), never "broken": a subscriber that skipped it
// would lose the event (the chaos suite's pg-stall caught the directory
// doing so). A corrupt sealed member stays ErrInvalidData.
func TestStoreOpenerTimeoutIsTemporary(t *testing.T) {
	t.Parallel()
	ring, err := personaldata.NewKeyring("k", map[string][]byte{"k": randomKey()})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := personaldata.NewKeys(ring)
	if err != nil {
		t.Fatal(err)
	}
	payload := func(data string) []byte {
		b, _ := json.Marshal(map[string]any{
			"specversion": "1.0", "id": uuid.NewString(), "source": "urn:userservice", "type": user.TypeRegistered,
			"subject": uuid.NewString(), "time": time.Now().UTC(), "datacontenttype": "application/json",
			"data": json.RawMessage(data), "tenantid": uuid.NewString(), "streamversion": 1,
		})
		return b
	}
	sealed := payload(`{"tenant_id":"t","personal":"pd1.AAAA"}`)
	pool := pgtest.Pool(t)
	slow := personaldata.StoreOpener{Keys: keys, DB: pool, Timeout: time.Nanosecond}
	if _, err := eventcontract.DecodeOpened(sealed, slow); !errors.Is(err, eventcontract.ErrOpenerUnavailable) ||
		errors.Is(err, eventcontract.ErrInvalidData) {
		t.Fatalf("key read timed out: %v, want ErrOpenerUnavailable only", err)
	}
	// The key store answers (the user has no key): the member is no
	// sealed data of this format, which is the event's fault.
	ok := personaldata.StoreOpener{Keys: keys, DB: pool}
	if _, err := eventcontract.DecodeOpened(payload(`{"tenant_id":"t","personal":42}`), ok); !errors.Is(err, eventcontract.ErrInvalidData) {
		t.Fatalf("corrupt sealed member: %v, want ErrInvalidData", err)
	}
}
