// Package projection drives read models from the event store.
//
// A read model is defined once, by how it applies an event to its state; it
// is then driven inline, in the command's transaction, or by a Follower, a
// checkpointed reader of the global event order (Projection is what a
// Follower drives). The users read model is both: its definition
// (adapters/postgres) is applied inline by the unit of work, and by a
// Follower when a Rebuilder catches up its shadow.
//
// A Rebuilder re-derives a read model (a Target) from every stored event into
// a shadow while the service keeps writing, then swaps it in with the
// model's writers locked out only for the last few events and the rows that
// still differ. Republishing history to Kafka lives in package republish.
//
// The global order is (transaction_id, position), read only below the
// oldest transaction still running (pg_snapshot_xmin), the technique
// watermill-sql uses for its outbox: the events.position sequence alone is
// not commit order, and a reader that trusted it would skip an event whose
// transaction took a lower number but committed after a higher one was read.
//
// Every reader of the store passes events through the domain's upcasters
// (user.EventUpcasters), so projections see current event types only.
package projection
