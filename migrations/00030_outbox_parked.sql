-- +goose Up
-- Outbox messages a relay parked instead of retrying for ever: the one Kafka
-- refused for good (too large, malformed: behind_uuid NULL) and every later
-- message of the same user (same partition key), which waits behind it so
-- the user's events still reach Kafka in order. Per consumer group: another
-- group, relaying to another cluster, may publish them fine. `usersctl
-- outbox parked` lists them, `usersctl outbox retry` publishes them again,
-- in id order (the order they were parked in, which is the user's order).
CREATE TABLE outbox_parked (
    id             bigserial   PRIMARY KEY,
    consumer_group text        NOT NULL,
    shard          int         NOT NULL,
    partition_key  text        NOT NULL,
    uuid           text        NOT NULL,
    payload        json        NOT NULL,
    metadata       json        NOT NULL,
    reason         text        NOT NULL,
    behind_uuid    text,
    parked_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (consumer_group, uuid)
);
CREATE INDEX outbox_parked_key_idx ON outbox_parked (consumer_group, shard, partition_key, id);

-- +goose Down
DROP TABLE outbox_parked;
