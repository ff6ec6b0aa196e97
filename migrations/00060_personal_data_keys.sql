-- +goose Up
-- One data key per user (crypto-shredding, see README "Personal data"): the
-- personal fields of the user's events are encrypted with it, and erasing
-- the user deletes the row, which makes every copy of those fields (events,
-- outbox, Kafka, backups) unreadable. The key is stored wrapped (AES-GCM)
-- by a master key from configuration; master_key_id names which one, so a
-- rotation can re-wrap row by row while both keys are configured.
CREATE TABLE user_data_keys (
    user_id       uuid        PRIMARY KEY,
    key_tenant_id uuid        NOT NULL,
    wrapped_key   bytea       NOT NULL,
    master_key_id text        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    rewrapped_at  timestamptz
);
CREATE INDEX user_data_keys_master_key_idx ON user_data_keys (master_key_id);

-- +goose Down
DROP TABLE user_data_keys;
