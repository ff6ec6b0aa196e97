-- +goose Up
-- Fair import queues: one tenant's 10M-row job must not delay every other
-- tenant's imports. Each queued message gets a fair key when it is inserted:
-- one more than the larger of its tenant's last key still queued and the
-- smallest key queued at all (the queue's "now"). Consumers take the due
-- message with the smallest key, so the messages of tenants with work
-- queued are taken in turn, and a tenant that queues 10 rows behind another
-- tenant's million waits for the messages already taken, not for the
-- million. (Start-time fair queuing with one message as the unit of cost.)
ALTER TABLE watermill_imports ADD COLUMN fair_key bigint NOT NULL DEFAULT 0;
ALTER TABLE watermill_imports ADD COLUMN tenant_id text GENERATED ALWAYS AS (metadata->>'tenant_id') STORED;
CREATE INDEX watermill_imports_fair_idx ON watermill_imports (fair_key, "offset") WHERE NOT acked;
CREATE INDEX watermill_imports_tenant_fair_idx ON watermill_imports (tenant_id, fair_key) WHERE NOT acked;

-- +goose StatementBegin
-- A BEFORE trigger sees the rows an INSERT of several messages inserted
-- before this one, so a batch of one tenant gets consecutive keys. (The
-- generated tenant_id is not computed yet here: it reads the metadata.)
CREATE FUNCTION import_queue_fair_key() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.fair_key := 1 + greatest(
        coalesce((SELECT max(q.fair_key) FROM watermill_imports q
                  WHERE q.tenant_id = NEW.metadata->>'tenant_id' AND NOT q.acked), 0),
        coalesce((SELECT min(q.fair_key) FROM watermill_imports q WHERE NOT q.acked), 0));
    RETURN NEW;
END $$;
-- +goose StatementEnd
CREATE TRIGGER import_queue_fair_key BEFORE INSERT ON watermill_imports
    FOR EACH ROW EXECUTE FUNCTION import_queue_fair_key();

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION import_queue_next() RETURNS TABLE ("offset" bigint, uuid varchar, payload json, metadata json)
LANGUAGE sql VOLATILE SET enable_seqscan = off SET enable_sort = off AS $$
    SELECT q."offset", q.uuid, q.payload, q.metadata FROM watermill_imports q
    WHERE NOT q.acked
      AND (q.metadata->>'_watermill_delayed_until' IS NULL
           OR (q.metadata->>'_watermill_delayed_until')::timestamptz <= now())
    ORDER BY q.fair_key, q."offset" LIMIT 1 FOR UPDATE SKIP LOCKED
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION import_queue_next() RETURNS TABLE ("offset" bigint, uuid varchar, payload json, metadata json)
LANGUAGE sql VOLATILE SET enable_seqscan = off SET enable_sort = off AS $$
    SELECT q."offset", q.uuid, q.payload, q.metadata FROM watermill_imports q
    WHERE NOT q.acked
      AND (q.metadata->>'_watermill_delayed_until' IS NULL
           OR (q.metadata->>'_watermill_delayed_until')::timestamptz <= now())
    ORDER BY q."offset" LIMIT 1 FOR UPDATE SKIP LOCKED
$$;
-- +goose StatementEnd
DROP TRIGGER import_queue_fair_key ON watermill_imports;
DROP FUNCTION import_queue_fair_key();
DROP INDEX watermill_imports_tenant_fair_idx, watermill_imports_fair_idx;
ALTER TABLE watermill_imports DROP COLUMN tenant_id, DROP COLUMN fair_key;
