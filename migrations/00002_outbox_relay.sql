-- +goose Up
-- Consumer offsets of the outbox shards, in the shape watermill-sql's
-- DefaultPostgreSQLOffsetsAdapter reads and writes (created here, not at run
-- time), and a statement-level trigger per shard that NOTIFYs on commit so a
-- relay wakes up at once instead of waiting for its next poll.
-- +goose StatementBegin
CREATE FUNCTION notify_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Delivered at commit, and only once per channel per transaction.
    PERFORM pg_notify(TG_ARGV[0], '');
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
DO $$
BEGIN
    FOR shard IN 0..3 LOOP
        EXECUTE format($f$
            CREATE TABLE watermill_offsets_user_events_%s (
                consumer_group                 varchar(255) NOT NULL,
                offset_acked                   bigint,
                last_processed_transaction_id  xid8 NOT NULL,
                PRIMARY KEY (consumer_group)
            )$f$, shard);
        EXECUTE format($f$
            CREATE TRIGGER watermill_user_events_%s_notify
            AFTER INSERT ON watermill_user_events_%s
            FOR EACH STATEMENT EXECUTE FUNCTION notify_outbox('outbox_user_events_%s')$f$, shard, shard, shard);
    END LOOP;
END
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DO $$
BEGIN
    FOR shard IN 0..3 LOOP
        EXECUTE format('DROP TRIGGER watermill_user_events_%s_notify ON watermill_user_events_%s', shard, shard);
        EXECUTE format('DROP TABLE watermill_offsets_user_events_%s', shard);
    END LOOP;
END
$$;
-- +goose StatementEnd
DROP FUNCTION notify_outbox();
