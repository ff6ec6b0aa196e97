-- +goose Up
-- The user directory: a projection of the users fed from Kafka (users.events)
-- by the directory role. Unlike the inline users read model it is written
-- only from published events, so it proves (and keeps proving) that the
-- contract carries what a subscriber needs. No foreign keys: a subscriber
-- owns its tables and must not depend on the write side's.
CREATE TABLE user_directory (
    tenant_id     uuid NOT NULL,
    user_id       uuid NOT NULL,
    email         text NOT NULL,
    given_name    text NOT NULL,
    family_name   text NOT NULL,
    display_name  text NOT NULL DEFAULT '',
    department    text NOT NULL DEFAULT '',
    status        text NOT NULL,
    -- The stream version of the last event applied: older or equal ones
    -- arriving later (redelivery, a replay) are ignored.
    version       integer NOT NULL CHECK (version > 0),
    updated_at    timestamptz NOT NULL,
    CONSTRAINT user_directory_pkey PRIMARY KEY (tenant_id, user_id)
);
CREATE INDEX user_directory_department_idx ON user_directory (tenant_id, department, family_name);

-- Idempotent consumers: each consumer records the id of every event it
-- handled in the same transaction as the event's effect, so a redelivered
-- event (Kafka delivery is at-least-once) finds its id and has no second
-- effect. event_id is text, not uuid, so a foreign producer's odd id cannot
-- wedge a consumer.
CREATE TABLE processed_events (
    consumer      text NOT NULL,
    event_id      text NOT NULL,
    processed_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT processed_events_pkey PRIMARY KEY (consumer, event_id)
);

-- +goose Down
DROP TABLE processed_events, user_directory;
