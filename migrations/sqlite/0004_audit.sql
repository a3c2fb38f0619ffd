-- The audit trail: every change on the feed also records who made it (`key:NAME`, `anonymous`
-- when the server runs without keys, `local:COMMAND` for commands run against the store itself),
-- what happened, and details (the credit, the retraction's reason, the key's role). Rows written
-- before this migration have no actor.
ALTER TABLE changes ADD COLUMN actor TEXT;
ALTER TABLE changes ADD COLUMN action TEXT;
ALTER TABLE changes ADD COLUMN detail TEXT;

-- Append-only: nothing rewrites or deletes history through this database's normal use.
CREATE TRIGGER changes_are_append_only_update BEFORE UPDATE ON changes
BEGIN
    SELECT RAISE(ABORT, 'the change feed and audit trail are append-only');
END;
CREATE TRIGGER changes_are_append_only_delete BEFORE DELETE ON changes
BEGIN
    SELECT RAISE(ABORT, 'the change feed and audit trail are append-only');
END;
CREATE INDEX changes_at ON changes (at);
