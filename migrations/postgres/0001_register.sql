-- The register on PostgreSQL: outlets, quotes under their content hash, and the attributions of
-- each quote; the same shape as the embedded store's. Times are microseconds since the Unix epoch
-- (UTC); lists are JSON arrays of strings.

CREATE TABLE outlets (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    aliases     TEXT NOT NULL,
    domains     TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

-- seq orders quotes by registration. Writers hold a transaction-scoped advisory lock, so seq
-- values become visible in the order they were given out and a reader paging by seq (or a
-- replica catching up) never skips a row committed late.
CREATE TABLE quotes (
    seq                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    content_hash       BYTEA NOT NULL UNIQUE,
    text               TEXT NOT NULL,
    canonical_text     TEXT NOT NULL,
    registered_at      BIGINT NOT NULL,
    retraction_reason  TEXT,
    retracted_at       BIGINT
);

-- outlet_id is '' rather than NULL when only a speaker is credited, so that the UNIQUE
-- constraint makes re-registration idempotent.
CREATE TABLE attributions (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    quote_seq        BIGINT NOT NULL REFERENCES quotes (seq),
    speaker          TEXT NOT NULL,
    speaker_key      TEXT NOT NULL,
    speaker_aliases  TEXT NOT NULL,
    outlet_id        TEXT NOT NULL,
    source_url       TEXT NOT NULL,
    published_at     BIGINT,
    registered_at    BIGINT NOT NULL,
    UNIQUE (quote_seq, speaker_key, outlet_id)
);

CREATE INDEX attributions_by_outlet ON attributions (outlet_id, quote_seq);
CREATE INDEX attributions_by_speaker ON attributions (speaker_key, quote_seq);
