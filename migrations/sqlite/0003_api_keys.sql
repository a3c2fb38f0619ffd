-- API keys: only a SHA-256 hash of each key is kept. A revoked key stays, marked, so that its
-- name cannot be reused by accident and the audit trail can still name it.
CREATE TABLE api_keys (
    name        TEXT PRIMARY KEY,
    role        TEXT NOT NULL,
    key_hash    BLOB NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
) STRICT;

-- Key changes travel on the change feed too, so every server applies a revocation at once.
ALTER TABLE changes ADD COLUMN key_name TEXT;
