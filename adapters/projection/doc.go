// Package projection drives read models from the event store. A read model is
// defined once, by how it applies events (Projection); it is then driven
// either inline, in the command's transaction (the users read model, by the
// PostgreSQL unit of work), or by a Follower: a checkpointed reader of the
// global event order. Rebuild re-derives a read model from every stored event
// into a shadow, while the service keeps writing, and swaps it in.
//
// The global order is (transaction_id, position), read only below the oldest
// transaction still running (pg_snapshot_xmin), the technique watermill-sql
// uses for its outbox: the events.position sequence alone is not commit
// order, and a reader that trusted it would skip an event whose transaction
// took a lower number but committed after a higher one was read.
package projection
