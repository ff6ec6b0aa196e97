package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/google/uuid"

	"github.com/userservice/userservice/adapters/postgres/pgtest"
	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/domain/user"
)

// BenchmarkCommandByStreamLength measures what a longer history costs a
// command. The unit of work decides on the users read-model row and folds
// only the events after its version (none when the row is current, see
// selectStateSQL), so the cost should not grow with the stream. A no-op
// update reads and decides only.
//
//	go test ./adapters/postgres -run '^$' -bench CommandByStreamLength -benchtime 2s
func BenchmarkCommandByStreamLength(b *testing.B) {
	ctx := context.Background()
	pool := pgtest.Pool(b)
	uow, err := NewUnitOfWork(pool, nil)
	must(b, err)
	tenant := uuid.NewString()
	must(b, NewTenants(pool).CreateTenant(ctx, command.Tenant{ID: tenant, Name: "bench", Seats: 100}))
	reg, err := command.NewRegisterUserHandler(uow, func() (user.ID, error) { id, err := uuid.NewV7(); return user.ID(id), err })
	must(b, err)
	upd, err := command.NewUpdateUserHandler(uow)
	must(b, err)
	env := func() command.Envelope {
		return command.Envelope{CommandID: uuid.NewString(), TenantID: tenant, Actor: "bench", Source: command.SourceAPI}
	}
	for _, length := range []int{1, 5, 20, 100, 1000} {
		res, err := reg.Handle(ctx, command.RegisterUser{Envelope: env(), Registration: user.Registration{
			Email: uuid.NewString() + "@example.com", Profile: user.Profile{GivenName: "G", FamilyName: "F"}}})
		must(b, err)
		id := res.User.ID
		// Grow the stream by hand, title changes back and forth, and keep
		// the read model's version in step.
		for v := 2; v <= length; v++ {
			old, title := fmt.Sprint(v-1), fmt.Sprint(v)
			if v == 2 {
				old = ""
			}
			data, err := json.Marshal(user.ProfileChanged{Changes: map[string]user.Change{user.FieldTitle: {Old: old, New: title}}})
			must(b, err)
			_, err = pool.Exec(ctx, `INSERT INTO events (event_id, stream_id, tenant_id, version, type, data, occurred_at,
				command_id, correlation_id, actor, source) VALUES ($1, $2, $3, $4, $5, $6, now(), $7, '', 'bench', 'api')`,
				uuid.NewString(), id, tenant, v, user.TypeProfileChanged, data, uuid.NewString())
			must(b, err)
		}
		_, err = pool.Exec(ctx, `UPDATE users SET version = $2, title = $3 WHERE id = $1`, id, length, titleAt(length))
		must(b, err)
		b.Run(fmt.Sprintf("no-op/events=%d", length), func(b *testing.B) {
			for b.Loop() {
				r, err := upd.Handle(ctx, command.UpdateUser{Envelope: env(), UserID: id, Patch: user.Patch{Title: ptr(titleAt(length))}})
				if err != nil || r.Changed {
					b.Fatalf("%+v, %v", r, err)
				}
			}
		})
	}
}

func titleAt(length int) string {
	if length == 1 {
		return ""
	}
	return fmt.Sprint(length)
}
