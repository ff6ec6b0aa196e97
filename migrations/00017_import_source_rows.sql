-- +goose Up
-- The original rows of a job uploaded with keep_rows (issue 14), so the
-- failure report can give back the rejected rows exactly as they were in the
-- file, with an error column, ready to fix and upload again. Only jobs that
-- ask keep them: a copy of the file costs an upload its time and space.
ALTER TABLE import_jobs ADD COLUMN source_header jsonb;
CREATE TABLE import_source_rows (
    job_id  uuid NOT NULL REFERENCES import_jobs (id),
    row_no  integer NOT NULL,
    cells   jsonb NOT NULL,
    CONSTRAINT import_source_rows_pkey PRIMARY KEY (job_id, row_no)
);

-- +goose Down
DROP TABLE import_source_rows;
ALTER TABLE import_jobs DROP COLUMN source_header;
