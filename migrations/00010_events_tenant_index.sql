-- +goose NO TRANSACTION
-- +goose Up
-- Per-tenant reads of the event store (`usersctl replay --tenant`, the
-- rebuild's count and its stream-ordered bulk read) scanned and sorted the
-- whole events table: over a minute for a small tenant once the table held
-- a few GB. This index serves them in stream order. CONCURRENTLY: building
-- it does not block writers (hence no transaction).
CREATE INDEX CONCURRENTLY IF NOT EXISTS events_tenant_stream_idx ON events (tenant_id, stream_id, version);

-- +goose Down
DROP INDEX CONCURRENTLY IF EXISTS events_tenant_stream_idx;
