-- +goose Up
-- Bulk provisioning: import jobs (CSV uploads and HRIS syncs), the outcome
-- of every row, the rejections, the import message queue, and the durable
-- queue of notices to tenant admins.

-- One import job. total stays NULL until every row is queued; a job is
-- finished when total is known and every row has an outcome.
CREATE TABLE import_jobs (
    id               uuid PRIMARY KEY,
    tenant_id        uuid NOT NULL REFERENCES tenants (id),
    source           text NOT NULL CHECK (source IN ('csv', 'hris')),
    actor            text NOT NULL,
    -- dedup_key makes a scheduled HRIS sync run once per schedule tick,
    -- however many hris-sync processes fire it.
    dedup_key        text UNIQUE,
    status           text NOT NULL DEFAULT 'queued'
                     CHECK (status IN ('queued', 'running', 'completed', 'completed_with_errors', 'failed')),
    error            text NOT NULL DEFAULT '',
    total            integer CHECK (total >= 0),
    created_at       timestamptz NOT NULL DEFAULT now(),
    started_at       timestamptz,
    finished_at      timestamptz
);
CREATE INDEX import_jobs_tenant_idx ON import_jobs (tenant_id, created_at DESC);
CREATE INDEX import_jobs_unsealed_idx ON import_jobs (created_at) WHERE total IS NULL AND status <> 'failed';

-- A job's outcome counters, kept by the transaction that records a row's
-- outcome (so they are exact however often a message is delivered), and
-- spread over 16 shards (row number mod 16): one counter row per job would be
-- locked by every outcome until its commit, serialising the importers.
CREATE TABLE import_job_counts (
    job_id          uuid NOT NULL REFERENCES import_jobs (id),
    shard           smallint NOT NULL,
    created_rows    integer NOT NULL DEFAULT 0,
    updated_rows    integer NOT NULL DEFAULT 0,
    unchanged_rows  integer NOT NULL DEFAULT 0,
    skipped_rows    integer NOT NULL DEFAULT 0,
    rejected_rows   integer NOT NULL DEFAULT 0,
    parked_rows     integer NOT NULL DEFAULT 0,
    CONSTRAINT import_job_counts_pkey PRIMARY KEY (job_id, shard)
);

-- The outcome of each row of a job: at most one per (job, row), which is what
-- makes redelivered messages count once. A parked row (transient failures
-- exhausted) keeps its message so `usersctl imports retry` can queue it again;
-- its final outcome then replaces 'parked'.
CREATE TABLE import_rows (
    job_id          uuid NOT NULL REFERENCES import_jobs (id),
    row_no          integer NOT NULL,
    outcome         text NOT NULL CHECK (outcome IN ('created', 'updated', 'unchanged', 'skipped', 'rejected', 'parked')),
    user_id         uuid,
    detail          text NOT NULL DEFAULT '',
    parked_row      jsonb,
    requeued_at     timestamptz,
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT import_rows_pkey PRIMARY KEY (job_id, row_no)
);
CREATE INDEX import_rows_parked_idx ON import_rows (job_id, row_no) WHERE outcome = 'parked';

-- Why a row was rejected: one line per offending field, the single source of
-- truth for an import's failures (API, CSV download, notices).
CREATE TABLE import_failures (
    job_id   uuid NOT NULL,
    row_no   integer NOT NULL,
    seq      integer NOT NULL,
    field    text NOT NULL,
    code     text NOT NULL,
    message  text NOT NULL,
    CONSTRAINT import_failures_pkey PRIMARY KEY (job_id, row_no, seq),
    CONSTRAINT import_failures_row_fkey FOREIGN KEY (job_id, row_no)
        REFERENCES import_rows (job_id, row_no) ON DELETE CASCADE
);

-- Where a tenant's admins want import notices: e-mail addresses and/or a
-- webhook signed with the tenant's secret.
CREATE TABLE notification_settings (
    tenant_id       uuid PRIMARY KEY REFERENCES tenants (id),
    emails          text[] NOT NULL DEFAULT '{}',
    webhook_url     text NOT NULL DEFAULT '',
    webhook_secret  text NOT NULL DEFAULT '',
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- The durable notification queue: one row per job and channel, inserted by
-- the transaction that finishes the job (so a notice is neither lost nor
-- doubled by a crash there), claimed with a lease by the notifier role.
CREATE TABLE notifications (
    id               uuid PRIMARY KEY,
    tenant_id        uuid NOT NULL,
    job_id           uuid NOT NULL REFERENCES import_jobs (id),
    channel          text NOT NULL CHECK (channel IN ('email', 'webhook')),
    status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'dead')),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    lease_until      timestamptz,
    last_error       text NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL DEFAULT now(),
    sent_at          timestamptz,
    CONSTRAINT notifications_job_channel_key UNIQUE (job_id, channel)
);
CREATE INDEX notifications_due_idx ON notifications (next_attempt_at) WHERE status = 'pending';

-- The PostgreSQL-backed import queue, in the shape of watermill-sql's
-- PostgreSQLQueueSchema (no consumer groups; a row is deleted when acked), so
-- several consumers share it with FOR UPDATE SKIP LOCKED. Rows deferred to
-- later carry watermill's _watermill_delayed_until metadata.
CREATE TABLE watermill_imports (
    "offset"    bigserial PRIMARY KEY,
    uuid        varchar(36) NOT NULL,
    payload     json DEFAULT NULL,
    metadata    json DEFAULT NULL,
    acked       boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT current_timestamp
);

-- The import queue's consumers take the next due row through this function.
-- Its planner settings pin the plan to the primary key's order: right after
-- a burst of inserts the table's statistics still say "empty", and the
-- planner would sort the whole backlog for every row taken.
-- +goose StatementBegin
CREATE FUNCTION import_queue_next() RETURNS TABLE ("offset" bigint, uuid varchar, payload json, metadata json)
LANGUAGE sql VOLATILE SET enable_seqscan = off SET enable_sort = off AS $$
    SELECT q."offset", q.uuid, q.payload, q.metadata FROM watermill_imports q
    WHERE NOT q.acked
      AND (q.metadata->>'_watermill_delayed_until' IS NULL
           OR (q.metadata->>'_watermill_delayed_until')::timestamptz <= now())
    ORDER BY q."offset" LIMIT 1 FOR UPDATE SKIP LOCKED
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION import_queue_next();
DROP TABLE watermill_imports, notifications, notification_settings, import_failures, import_rows, import_job_counts, import_jobs;
