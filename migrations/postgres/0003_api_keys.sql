-- API keys: only a SHA-256 hash of each key is kept. A revoked key stays, marked, so that its
-- name cannot be reused by accident and the audit trail can still name it.
CREATE TABLE api_keys (
    name        TEXT PRIMARY KEY,
    role        TEXT NOT NULL,
    key_hash    BYTEA NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);

-- Key changes travel on the change feed too, so every replica applies a revocation at once.
ALTER TABLE changes ADD COLUMN key_name TEXT;
