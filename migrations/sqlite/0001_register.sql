-- The register: outlets, quotes under their content hash, and the attributions of each quote.
-- Times are microseconds since the Unix epoch (UTC); lists are JSON arrays of strings.

CREATE TABLE outlets (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    aliases     TEXT NOT NULL,
    domains     TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
) STRICT;

-- seq orders quotes by registration; AUTOINCREMENT keeps it from ever reusing a value, so
-- pagination cursors built on it stay valid.
CREATE TABLE quotes (
    seq                INTEGER PRIMARY KEY AUTOINCREMENT,
    content_hash       BLOB NOT NULL UNIQUE,
    text               TEXT NOT NULL,
    canonical_text     TEXT NOT NULL,
    registered_at      INTEGER NOT NULL,
    retraction_reason  TEXT,
    retracted_at       INTEGER
) STRICT;

-- outlet_id is '' rather than NULL when only a speaker is credited, so that the UNIQUE
-- constraint (where NULLs never collide) makes re-registration idempotent.
CREATE TABLE attributions (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    quote_seq        INTEGER NOT NULL REFERENCES quotes (seq),
    speaker          TEXT NOT NULL,
    speaker_key      TEXT NOT NULL,
    speaker_aliases  TEXT NOT NULL,
    outlet_id        TEXT NOT NULL,
    source_url       TEXT NOT NULL,
    published_at     INTEGER,
    registered_at    INTEGER NOT NULL,
    UNIQUE (quote_seq, speaker_key, outlet_id)
) STRICT;

CREATE INDEX attributions_by_outlet ON attributions (outlet_id, quote_seq);
CREATE INDEX attributions_by_speaker ON attributions (speaker_key, quote_seq);
