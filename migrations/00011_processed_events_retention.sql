-- +goose NO TRANSACTION
-- +goose Up
-- The directory projection deletes event ids older than its dedup retention
-- (adapters/directory/retention.go); this index finds them without reading
-- the whole table. CONCURRENTLY: built without blocking the projection.
CREATE INDEX CONCURRENTLY IF NOT EXISTS processed_events_age_idx ON processed_events (consumer, processed_at);

-- +goose Down
DROP INDEX CONCURRENTLY IF EXISTS processed_events_age_idx;
