-- +goose Up
-- command_expect fails the statement it is called from unless ok, with the
-- SQLSTATE code. The command path sends COMMIT in the same pipeline as its
-- writes, so a check that only a client could make after reading a
-- statement's row count (the seat limit, the read model's version guard)
-- would come too late: the pipeline would already have committed. Raised
-- here, the failure aborts the transaction before its COMMIT runs.
-- +goose StatementBegin
CREATE FUNCTION command_expect(ok boolean, code text) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT ok THEN
        RAISE EXCEPTION 'command check % failed', code USING ERRCODE = code;
    END IF;
    RETURN true;
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION command_expect(boolean, text);
