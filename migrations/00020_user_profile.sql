-- +goose Up
-- The user profile identity providers send (user.registered.v2,
-- user.profile_changed.v2): a username of its own, and the rest of the new
-- profile in one jsonb column (see adapters/postgres/users_attributes.go).
-- Both have defaults that are right for every user written before: no
-- username of their own (it is their primary e-mail address) and nothing
-- else set, so no row needs rewriting and a rebuild from the events gives
-- the same rows.
ALTER TABLE users ADD COLUMN username text NOT NULL DEFAULT '',
                  ADD COLUMN attributes jsonb NOT NULL DEFAULT '{}';
ALTER TABLE users_shadow ADD COLUMN username text NOT NULL DEFAULT '',
                         ADD COLUMN attributes jsonb NOT NULL DEFAULT '{}';

-- The username, unique per tenant without regard to case: the one set, else
-- the primary address (user.Snapshot.UserName). Deleted users free theirs,
-- as they free their e-mail address (00007).
CREATE UNIQUE INDEX users_tenant_username_key ON users
    (tenant_id, lower(CASE WHEN username = '' THEN email ELSE username END)) WHERE status <> 'deleted';

-- +goose Down
DROP INDEX users_tenant_username_key;
ALTER TABLE users_shadow DROP COLUMN attributes, DROP COLUMN username;
ALTER TABLE users DROP COLUMN attributes, DROP COLUMN username;
