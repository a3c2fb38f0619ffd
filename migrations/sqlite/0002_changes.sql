-- The change feed: one row per registration (new words or a new attribution), retraction and
-- outlet change, written in the same transaction, in commit order. Replicas of a shared store
-- follow it; the embedded store keeps it so both backends behave alike.
CREATE TABLE changes (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    quote_seq  INTEGER REFERENCES quotes (seq),
    outlet_id  TEXT,
    at         INTEGER NOT NULL
) STRICT;
