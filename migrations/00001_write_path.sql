-- +goose Up
-- Tenants are customer organisations. seats_used counts active users and is
-- kept by the command transaction, with a conditional update, so a licence
-- seat can never be handed out twice.
CREATE TABLE tenants (
    id          uuid PRIMARY KEY,
    name        text NOT NULL,
    seat_limit  integer NOT NULL CHECK (seat_limit >= 0),
    seats_used  integer NOT NULL DEFAULT 0 CHECK (seats_used >= 0),
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Bearer tokens, stored as SHA-256 hashes only.
CREATE TABLE api_tokens (
    id          uuid PRIMARY KEY,
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    role        text NOT NULL,
    token_hash  bytea NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz,
    revoked_at  timestamptz
);

-- One row per command that changed something: the idempotency record. A
-- repeated (tenant_id, command_id) returns outcome and writes nothing.
CREATE TABLE commands (
    tenant_id       uuid NOT NULL,
    command_id      text NOT NULL,
    type            text NOT NULL,
    source          text NOT NULL,
    actor           text NOT NULL,
    correlation_id  text NOT NULL,
    stream_id       uuid NOT NULL,
    payload         jsonb NOT NULL,
    payload_hash    bytea NOT NULL,
    outcome         jsonb NOT NULL,
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT commands_pkey PRIMARY KEY (tenant_id, command_id)
);

-- The event store: append-only, never trimmed. (stream_id, version) is unique,
-- so of two writers that read the same version exactly one can append.
-- transaction_id orders events by commit visibility for gap-safe readers: a
-- position (sequence) alone is not commit order.
CREATE TABLE events (
    position        bigint GENERATED ALWAYS AS IDENTITY,
    event_id        uuid NOT NULL,
    stream_id       uuid NOT NULL,
    tenant_id       uuid NOT NULL,
    version         integer NOT NULL CHECK (version > 0),
    type            text NOT NULL,
    data            jsonb NOT NULL,
    occurred_at     timestamptz NOT NULL,
    command_id      text NOT NULL,
    correlation_id  text NOT NULL,
    actor           text NOT NULL,
    source          text NOT NULL,
    transaction_id  xid8 NOT NULL DEFAULT pg_current_xact_id(),
    CONSTRAINT events_pkey PRIMARY KEY (event_id),
    CONSTRAINT events_stream_version_key UNIQUE (stream_id, version)
);
CREATE INDEX events_commit_order_idx ON events (transaction_id, position);

-- The users read model, written inline by the command transaction. Its unique
-- constraints are the cross-user invariants; their names are mapped to domain
-- errors by the unit of work.
CREATE TABLE users (
    id            uuid NOT NULL,
    tenant_id     uuid NOT NULL REFERENCES tenants (id),
    email         text NOT NULL,
    given_name    text NOT NULL,
    family_name   text NOT NULL,
    display_name  text NOT NULL DEFAULT '',
    department    text NOT NULL DEFAULT '',
    title         text NOT NULL DEFAULT '',
    manager_id    uuid,
    external_id   text,
    locale        text NOT NULL DEFAULT '',
    time_zone     text NOT NULL DEFAULT '',
    status        text NOT NULL CHECK (status IN ('active', 'deactivated')),
    version       integer NOT NULL,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    CONSTRAINT users_pkey PRIMARY KEY (id),
    CONSTRAINT users_tenant_id_key UNIQUE (tenant_id, id),
    CONSTRAINT users_tenant_email_key UNIQUE (tenant_id, email),
    CONSTRAINT users_tenant_external_id_key UNIQUE (tenant_id, external_id),
    CONSTRAINT users_manager_fkey FOREIGN KEY (tenant_id, manager_id) REFERENCES users (tenant_id, id)
);
CREATE INDEX users_tenant_status_idx ON users (tenant_id, status, id);
CREATE INDEX users_tenant_department_idx ON users (tenant_id, department, id);
CREATE INDEX users_manager_idx ON users (manager_id) WHERE manager_id IS NOT NULL;

-- The transactional outbox, in the shape watermill-sql's DefaultPostgreSQLSchema
-- reads, sharded by user id so several relays can publish in parallel while
-- each user's events stay in order on one shard. Created here, not by
-- Watermill at run time: DDL belongs to migrations.
-- +goose StatementBegin
DO $$
BEGIN
    FOR shard IN 0..3 LOOP
        EXECUTE format($f$
            CREATE TABLE watermill_user_events_%s (
                "offset"        bigserial,
                uuid            varchar(36) NOT NULL,
                created_at      timestamp NOT NULL DEFAULT current_timestamp,
                payload         json DEFAULT NULL,
                metadata        json DEFAULT NULL,
                transaction_id  xid8 NOT NULL,
                PRIMARY KEY (transaction_id, "offset")
            )$f$, shard);
    END LOOP;
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP TABLE watermill_user_events_3, watermill_user_events_2, watermill_user_events_1, watermill_user_events_0;
DROP TABLE users, events, commands, api_tokens, tenants;
