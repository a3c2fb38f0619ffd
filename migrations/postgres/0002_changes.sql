-- The change feed: one row per registration (new words or a new attribution), retraction and
-- outlet change, written in the same transaction under the write lock, so in commit order.
-- Replicas follow it (woken by NOTIFY verbatim_changes, and polling in case one is lost).
CREATE TABLE changes (
    seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    quote_seq  BIGINT REFERENCES quotes (seq),
    outlet_id  TEXT,
    at         BIGINT NOT NULL
);
