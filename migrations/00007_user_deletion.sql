-- +goose Up
-- A deleted user (user.deleted.v1) keeps a row in the users read model, with
-- status 'deleted', so that the rows reporting to them keep a valid manager
-- reference and a rebuild folds the same events to the same rows. Reads skip
-- such rows, and the uniqueness of e-mail and external id holds among the
-- users that are not deleted only, so both can be given to someone new. The
-- unique indexes keep the constraint names the service maps to errors.
ALTER TABLE users DROP CONSTRAINT users_status_check;
ALTER TABLE users ADD CONSTRAINT users_status_check CHECK (status IN ('active', 'deactivated', 'deleted'));
ALTER TABLE users DROP CONSTRAINT users_tenant_email_key;
CREATE UNIQUE INDEX users_tenant_email_key ON users (tenant_id, email) WHERE status <> 'deleted';
ALTER TABLE users DROP CONSTRAINT users_tenant_external_id_key;
CREATE UNIQUE INDEX users_tenant_external_id_key ON users (tenant_id, external_id) WHERE status <> 'deleted';
-- SCIM lists page in creation order.
CREATE INDEX users_tenant_created_idx ON users (tenant_id, created_at, id);

-- +goose Down
DROP INDEX users_tenant_created_idx;
DROP INDEX users_tenant_external_id_key;
DROP INDEX users_tenant_email_key;
DELETE FROM users WHERE status = 'deleted';
ALTER TABLE users ADD CONSTRAINT users_tenant_email_key UNIQUE (tenant_id, email);
ALTER TABLE users ADD CONSTRAINT users_tenant_external_id_key UNIQUE (tenant_id, external_id);
ALTER TABLE users DROP CONSTRAINT users_status_check;
ALTER TABLE users ADD CONSTRAINT users_status_check CHECK (status IN ('active', 'deactivated'));
