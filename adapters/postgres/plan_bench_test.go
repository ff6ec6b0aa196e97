package postgres

import (
	"crypto/rand"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/userservice/userservice/adapters/personaldata"
	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/domain/user"
)

// BenchmarkPlanRegistration is the in-process CPU of one create-user
// command's write batch (decide, fold, seal, encode the records and the
// outbox message; not the
// arguments' encoding by pgx), without encryption and with it: what MASTER_KEYS adds
// per create on the service's side, apart from the database.
func BenchmarkPlanRegistration(b *testing.B) {
	for _, encrypted := range []bool{false, true} {
		b.Run(fmt.Sprintf("encrypted=%t", encrypted), func(b *testing.B) {
			u := &UnitOfWork{upcasters: user.EventUpcasters(), now: time.Now}
			if encrypted {
				k := make([]byte, personaldata.MasterKeySize)
				_, _ = rand.Read(k)
				ring, err := personaldata.NewKeyring("bench", map[string][]byte{"bench": k})
				if err != nil {
					b.Fatal(err)
				}
				if u.personal, err = personaldata.NewKeys(ring); err != nil {
					b.Fatal(err)
				}
			}
			tenant := uuid.Must(uuid.NewV7()).String()
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				n++
				ex := benchRegistration(tenant, n)
				payload, hash, err := commandPayload(ex)
				if err != nil {
					b.Fatal(err)
				}
				p, err := u.plan(ex, payload, hash, &loaded{}, noManagersInGroup)
				if err != nil {
					b.Fatal(err)
				}
				if len(p.writes) == 0 {
					b.Fatal("no writes")
				}
			}
		})
	}
}

// benchRegistration is the registration userbench's create-user sends.
func benchRegistration(tenant string, n int) command.Execution {
	id := user.ID(uuid.Must(uuid.NewV7()))
	reg := user.Registration{Email: fmt.Sprintf("u%d@bench.example", n), Profile: user.Profile{
		GivenName: "Ada", FamilyName: "Lovelace", DisplayName: "Ada Lovelace", Department: "bench",
		Title: "Engineer", Locale: "en-GB", TimeZone: "Europe/London"}}
	return command.Execution{
		Envelope: command.Envelope{TenantID: tenant, CommandID: uuid.NewString(), CorrelationID: uuid.NewString(),
			Actor: "bench", Source: command.SourceAPI, FreshCommandID: true},
		Type: "RegisterUser", Payload: reg, StreamID: id, NewStream: true, FreshStream: true,
		Decide: func(current *user.User, managers user.ManagerLookup) ([]user.Event, error) {
			return user.Register(id, tenant, reg, managers)
		},
	}
}
