-- +goose Up
-- Relays are now woken by a NOTIFY the unit of work sends after commit (see
-- adapters/postgres/outbox_wakeup.go). A NOTIFY inside the command's
-- transaction serialised every command's commit behind one database-wide
-- lock held through the WAL flush: it halved throughput at 8 clients.
-- +goose StatementBegin
DO $$
BEGIN
    FOR shard IN 0..3 LOOP
        EXECUTE format('DROP TRIGGER IF EXISTS watermill_user_events_%s_notify ON watermill_user_events_%s', shard, shard);
    END LOOP;
END
$$;
-- +goose StatementEnd
DROP FUNCTION IF EXISTS notify_outbox();

-- +goose Down
-- +goose StatementBegin
CREATE FUNCTION notify_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
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
            CREATE TRIGGER watermill_user_events_%s_notify
            AFTER INSERT ON watermill_user_events_%s
            FOR EACH STATEMENT EXECUTE FUNCTION notify_outbox('outbox_user_events_%s')$f$, shard, shard, shard);
    END LOOP;
END
$$;
-- +goose StatementEnd
