-- +goose Up
-- The retention purge (PERSONAL_DATA_RETENTION, `usersctl retention purge`)
-- empties the personal data of the import rows, failures and notices of
-- jobs that finished long enough ago, job by job, and marks the job so it
-- is not read again.
ALTER TABLE import_jobs ADD COLUMN personal_data_purged_at timestamptz;
CREATE INDEX import_jobs_retention_idx ON import_jobs (finished_at)
    WHERE finished_at IS NOT NULL AND personal_data_purged_at IS NULL;

-- +goose Down
DROP INDEX import_jobs_retention_idx;
ALTER TABLE import_jobs DROP COLUMN personal_data_purged_at;
