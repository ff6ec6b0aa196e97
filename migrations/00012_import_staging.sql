-- +goose Up
-- Uploads are staged here while their job is queued: the rows are copied in
-- (COPY), in-file duplicates, each row's manager's row and the order that
-- puts managers before their reports are computed set-wise, the rows are
-- read back in that order onto the import queue, and the job's rows are
-- deleted. UNLOGGED: a crash mid-upload leaves the job unsealed (failed as
-- abandoned later) and these rows unread; nothing durable depends on them.
CREATE UNLOGGED TABLE import_staging (
    job_id       uuid NOT NULL,
    row_no       integer NOT NULL,
    -- the row's keys, normalised as the import matches them ('' = none)
    ext_key      text NOT NULL,
    email_key    text NOT NULL,
    manager_key  text NOT NULL,
    -- false for a row refused before staging (malformed) or not an upsert:
    -- it neither is a duplicate nor has a manager row
    eligible     boolean NOT NULL,
    row_data     jsonb NOT NULL,
    rejection    jsonb,
    manager_row  integer,
    -- 0 for rows without a manager row in the file, else one more than
    -- their manager row's; rows never reached from such a row (a loop of
    -- managers, or reporting into one) come last
    level        integer NOT NULL DEFAULT 0,
    CONSTRAINT import_staging_pkey PRIMARY KEY (job_id, row_no)
);
CREATE INDEX import_staging_ext_idx ON import_staging (job_id, ext_key) WHERE eligible AND ext_key <> '';
CREATE INDEX import_staging_manager_idx ON import_staging (job_id, manager_row) WHERE manager_row IS NOT NULL;
CREATE INDEX import_staging_order_idx ON import_staging (job_id, level, row_no);

-- +goose Down
DROP TABLE import_staging;
