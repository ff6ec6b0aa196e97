package postgres

import (
	"context"
	"fmt"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/userservice/userservice/adapters/eventcontract"
	"github.com/userservice/userservice/adapters/personaldata"
	"github.com/userservice/userservice/adapters/projection"
	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/domain/user"
)

// The write path's one seam to crypto-shredding (see adapters/personaldata
// and README "Personal data"). With no keys configured (nil) every function
// here is a no-op and events are stored as before, in clear.

// EncryptPersonalData makes the unit of work encrypt the personal fields of
// the user events it stores, with each user's data key (nil: off). Call it
// before the first command.
func (u *UnitOfWork) EncryptPersonalData(keys *personaldata.Keys) { u.personal = keys }

// EncryptPersonalData makes import chunks encrypt as the unit of work does.
func (s *ImportChunks) EncryptPersonalData(keys *personaldata.Keys) { s.personal = keys }

// EncryptPersonalData makes StreamEvents decrypt what the unit of work
// encrypted.
func (r *Users) EncryptPersonalData(keys *personaldata.Keys) { r.personal = keys }

// queueUserKey queues the user's data key ahead of their stream's read (nil
// when encryption is off).
func queueUserKey(keys *personaldata.Keys, b *pgx.Batch, tenantID string, id user.ID) *personaldata.UserKey {
	if keys == nil {
		return nil
	}
	return keys.QueueUserKey(b, tenantID, id)
}

// openStored decrypts one stored event's data for the domain.
func openStored(key *personaldata.UserKey, eventType string, data []byte) ([]byte, error) {
	if key == nil {
		if personaldata.IsSealed(data) {
			// Deciding on fields read as unset would write nonsense.
			return nil, personaldata.ErrNoKeys
		}
		return data, nil
	}
	return key.Open(eventType, data)
}

// sealEvents encrypts, in place, the data of events about to be stored: the
// events table, the outbox and so Kafka get the sealed form; Payload (the
// decoded event the inline read model applies) stays as it was.
func sealEvents(seal func(id user.ID, eventType string, data []byte) ([]byte, error), events []projection.Event) error {
	if seal == nil {
		return nil
	}
	for i := range events {
		data, err := seal(events[i].StreamID, events[i].Type, events[i].Data)
		if err != nil {
			return fmt.Errorf("encrypt %s of %s: %w", events[i].Type, events[i].StreamID, err)
		}
		events[i].Data = data
	}
	return nil
}

// userSealer is key's Seal for sealEvents (nil when encryption is off).
func userSealer(key *personaldata.UserKey) func(user.ID, string, []byte) ([]byte, error) {
	if key == nil {
		return nil
	}
	return func(_ user.ID, eventType string, data []byte) ([]byte, error) { return key.Seal(eventType, data) }
}

// freshUserKey is the key of a stream the command has just made up (nil
// when encryption is off): its first sealed event makes one.
func freshUserKey(keys *personaldata.Keys, tenantID string, id user.ID) *personaldata.UserKey {
	if keys == nil {
		return nil
	}
	return keys.NewUserKey(tenantID, id)
}

// queueErasure queues, after the command's writes, when it decided a
// user.erased, the deletion of the data key and the purge of the personal
// data held outside the events (see erase.go): all in the command's one
// transaction. (A data key the command made is inserted with its first
// event: see queueCommand.)
func queueErasure(b *pgx.Batch, tenantID string, id user.ID, events []user.Event) {
	for _, e := range events {
		if _, ok := e.(user.Erased); ok {
			queuePurgePersonalData(b, tenantID, id)
			return
		}
	}
}

// chunkKeys reads the data keys of the existing users a chunk's plan writes,
// in one statement (nil when encryption is off).
func (s *ImportChunks) chunkKeys(ctx context.Context, tx pgx.Tx, tenantID string, plan command.ChunkPlan) (*personaldata.ChunkKeys, error) {
	if s.personal == nil {
		return nil, nil
	}
	var ids []user.ID
	for _, r := range plan.Rows {
		// A new user (no Current) has no key yet: Seal makes it. Leaving
		// them out spares a chunk of new users its key read altogether (a
		// key that did exist would fail the chunk's insert, to be retried).
		if r.Command != nil && !r.Duplicate && r.Command.Current != nil {
			ids = append(ids, r.Command.StreamID)
		}
	}
	return s.personal.LoadChunkKeys(ctx, tx, tenantID, ids)
}

// chunkSealer is keys' Seal for sealEvents (nil when encryption is off).
func chunkSealer(keys *personaldata.ChunkKeys) func(user.ID, string, []byte) ([]byte, error) {
	if keys == nil {
		return nil
	}
	return keys.Seal
}

// TombstoneMessage is the outbox message that follows e when e is a
// user.erased (ok false otherwise): a Kafka tombstone for the user's key,
// after which a compacted topic keeps none of their records. Its payload is
// JSON null (the outbox column is json); the Kafka marshaler sends no value.
func TombstoneMessage(ctx context.Context, e projection.Event) (*message.Message, bool) {
	if e.Type != user.TypeErased {
		return nil, false
	}
	// Its id derives from the event's, so a re-publication sends the same.
	id := uuid.NewSHA1(uuid.NameSpaceOID, []byte("tombstone:"+e.ID)).String()
	msg := message.NewMessage(id, []byte("null"))
	msg.Metadata.Set(eventcontract.MetaEventType, "tombstone")
	msg.Metadata.Set(eventcontract.MetaTenantID, e.TenantID)
	msg.Metadata.Set(eventcontract.MetaPartitionKey, e.StreamID.String())
	msg.Metadata.Set(eventcontract.MetaTombstone, "true")
	msg.SetContext(ctx)
	return msg, true
}
