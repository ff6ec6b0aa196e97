-- +goose Up
-- Projections: where a projection fed by the checkpointed reader of the
-- global event order has got to, and the scratch space in which
-- `usersctl replay` rebuilds the users read model before swapping it in.

-- A checkpointed projection's position in the gap-safe global order
-- (transaction_id, position) of the events table. It is written in the
-- transaction that applies the events up to it, so an effect is never lost
-- or applied twice.
CREATE TABLE projection_checkpoints (
    name            text PRIMARY KEY,
    transaction_id  xid8 NOT NULL,
    position        bigint NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- The users read model as rebuilt from the events, before it is swapped in:
-- the columns of users, under the rebuild's scope (a tenant id, or the nil
-- UUID for a rebuild of every tenant), so rebuilds of different scopes can
-- run side by side. No constraint but the key: the bulk load writes users in stream
-- order, so a manager may arrive after their reports, and rows of two
-- snapshots (an interrupted load resumed) may meet; the swap checks every
-- constraint of users when it copies rows in. UNLOGGED, like
-- projection_rebuilds: scratch that a crash may empty, and the two are
-- emptied together, so they never disagree.
CREATE UNLOGGED TABLE users_shadow (
    scope         uuid NOT NULL,
    id            uuid NOT NULL,
    tenant_id     uuid NOT NULL,
    email         text NOT NULL,
    given_name    text NOT NULL,
    family_name   text NOT NULL,
    display_name  text NOT NULL,
    department    text NOT NULL,
    title         text NOT NULL,
    manager_id    uuid,
    external_id   text,
    locale        text NOT NULL,
    time_zone     text NOT NULL,
    status        text NOT NULL,
    version       integer NOT NULL,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    CONSTRAINT users_shadow_pkey PRIMARY KEY (scope, id)
);

-- The rebuild in progress of each projection and scope (a tenant id, or ''
-- for every tenant): how far the bulk load got (streams load in id order),
-- and the catch-up position.
CREATE UNLOGGED TABLE projection_rebuilds (
    projection      text NOT NULL,
    scope           text NOT NULL,
    bulk_after      uuid,
    bulk_done       boolean NOT NULL DEFAULT false,
    bulk_events     bigint NOT NULL DEFAULT 0,
    transaction_id  xid8 NOT NULL,
    position        bigint NOT NULL,
    started_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT projection_rebuilds_pkey PRIMARY KEY (projection, scope)
);

-- The swap replaces the differing rows of users in one transaction, deleting
-- them and copying them back from users_shadow; a report may be copied
-- before its manager, so the swap defers this check to its commit. Still
-- INITIALLY IMMEDIATE: for every other writer nothing changes.
ALTER TABLE users ALTER CONSTRAINT users_manager_fkey DEFERRABLE INITIALLY IMMEDIATE;

-- +goose Down
ALTER TABLE users ALTER CONSTRAINT users_manager_fkey NOT DEFERRABLE;
DROP TABLE projection_rebuilds, users_shadow, projection_checkpoints;
