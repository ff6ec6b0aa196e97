-- +goose Up
-- Every api process caches the tokens it looked up (query.TokenCache). A
-- change that can stop a token from working (revoked, expiry moved, role or
-- hash changed, row deleted) is announced on channel api_token_changed with
-- the token's id, whoever makes it (the API, usersctl, plain SQL), so every
-- process forgets the token milliseconds after the change commits instead of
-- at the end of its cache's TTL. A trigger, not the store's code, so no
-- writer can forget to announce. Token changes are rare: the commit-time
-- NOTIFY lock (see 00006) costs the command path nothing.
-- +goose StatementBegin
CREATE FUNCTION api_token_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('api_token_changed', OLD.id::text);
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER api_token_changed_on_update AFTER UPDATE ON api_tokens
    FOR EACH ROW
    WHEN (OLD.revoked_at IS DISTINCT FROM NEW.revoked_at OR OLD.expires_at IS DISTINCT FROM NEW.expires_at
          OR OLD.role IS DISTINCT FROM NEW.role OR OLD.token_hash IS DISTINCT FROM NEW.token_hash
          OR OLD.tenant_id IS DISTINCT FROM NEW.tenant_id OR OLD.id IS DISTINCT FROM NEW.id)
    EXECUTE FUNCTION api_token_changed();

CREATE TRIGGER api_token_changed_on_delete AFTER DELETE ON api_tokens
    FOR EACH ROW EXECUTE FUNCTION api_token_changed();

-- +goose Down
DROP TRIGGER api_token_changed_on_delete ON api_tokens;
DROP TRIGGER api_token_changed_on_update ON api_tokens;
DROP FUNCTION api_token_changed();
