-- The witness's whole state: per log, the latest checkpoint it cosigned (C2SP tlog-witness
-- asks for no more), and the refusals kept as evidence.

-- One row per log origin. `size` and `root` are the tree head last cosigned; `note` is that
-- checkpoint with the log's signature line(s) and this witness's cosignature; `cosigned_at`
-- is the cosignature's timestamp (Unix seconds).
CREATE TABLE log_heads (
    origin      TEXT PRIMARY KEY NOT NULL,
    size        INTEGER NOT NULL CHECK (size >= 0),
    root        BLOB NOT NULL CHECK (length(root) = 32),
    note        TEXT NOT NULL,
    cosigned_at INTEGER NOT NULL CHECK (cosigned_at >= 0)
);

-- Refused submissions: every one whose log signature verified (evidence of a fork, a
-- rollback or a rewrite, signed by the log itself), and bad signatures for a known origin.
-- An identical refusal seen again bumps `repeats` and `last_received_at` instead of a row.
-- `witness_size` is the size this witness held when it refused (NULL for a bad signature,
-- refused before the store is read); `submitted_size` is NULL when the signature did not
-- verify (the note's claims are then nobody's). `note` is capped at a few kilobytes.
CREATE TABLE refusals (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    received_at      TEXT NOT NULL,
    last_received_at TEXT NOT NULL,
    repeats          INTEGER NOT NULL DEFAULT 1 CHECK (repeats >= 1),
    origin           TEXT NOT NULL,
    status           INTEGER NOT NULL,
    reason           TEXT NOT NULL,
    old_size         INTEGER NOT NULL CHECK (old_size >= 0),
    submitted_size   INTEGER CHECK (submitted_size >= 0),
    witness_size     INTEGER CHECK (witness_size >= 0),
    note             TEXT NOT NULL
);

CREATE INDEX refusals_by_origin ON refusals (origin, id);
