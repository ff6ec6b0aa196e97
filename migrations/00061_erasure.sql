-- +goose Up
-- Erasure (POST /v1/users/{id}/erase) empties the import rows that named
-- the user, in the erasing command's short transaction: find them by
-- index, not by scanning every import ever run.
CREATE INDEX import_rows_user_idx ON import_rows (user_id) WHERE user_id IS NOT NULL;

-- +goose Down
DROP INDEX import_rows_user_idx;
