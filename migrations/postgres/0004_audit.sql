-- The audit trail: every change on the feed also records who made it (`key:NAME`, `anonymous`
-- when the server runs without keys, `local:COMMAND` for commands run against the store itself),
-- what happened, and details (the credit, the retraction's reason, the key's role). Rows written
-- before this migration have no actor.
ALTER TABLE changes ADD COLUMN actor TEXT;
ALTER TABLE changes ADD COLUMN action TEXT;
ALTER TABLE changes ADD COLUMN detail TEXT;
CREATE INDEX changes_at ON changes (at);

-- Append-only: nothing rewrites or deletes history through the application's role. (A superuser
-- can still disable the trigger: restoring a backup, or a test simulating a failover.)
CREATE FUNCTION changes_are_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the change feed and audit trail are append-only';
END;
$$;
CREATE TRIGGER changes_are_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON changes
    FOR EACH STATEMENT EXECUTE FUNCTION changes_are_append_only();
