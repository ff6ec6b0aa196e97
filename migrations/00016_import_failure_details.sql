-- +goose Up
-- Failure reports an admin can act on (issue 14): each failure carries the
-- row's external id and e-mail address and the offending value; a warning
-- (a row imported without its manager) is a failure of severity 'warning'
-- on a row that was imported; root_row points a row refused, or imported
-- without its manager, because its manager's row was not imported, at the
-- row where that began (readers follow the chain to its reason).
-- Constant defaults: no table rewrite.
ALTER TABLE import_failures
    ADD COLUMN severity    text NOT NULL DEFAULT 'error' CHECK (severity IN ('error', 'warning')),
    ADD COLUMN value       text NOT NULL DEFAULT '',
    ADD COLUMN external_id text NOT NULL DEFAULT '',
    ADD COLUMN email       text NOT NULL DEFAULT '',
    ADD COLUMN root_row    integer;

-- +goose Down
ALTER TABLE import_failures
    DROP COLUMN severity, DROP COLUMN value, DROP COLUMN external_id, DROP COLUMN email, DROP COLUMN root_row;
