-- The audit log becomes an RFC 6962 Merkle tree (crates/translog; ARCHITECTURE.md).
--
-- audit_tree_hashes holds every complete subtree's hash at its stored-hash index, as Go's
-- sumdb/tlog stores a tree: about two rows per entry, enough for any inclusion or consistency
-- proof. audit_head now also carries the tree's size and the tree head the log key signed at
-- the last append (a C2SP checkpoint note), so that an entry written into the database by
-- hand, or one cut off the end, no longer matches a signature. audit_tree_checkpoints keeps
-- that signed head at the checkpoint cadence; audit_cosignatures keeps what witnesses cosigned.
--
-- The entries of the former hash chain stay as they are; `legacy_entries` counts them, and
-- nothing is appended until `placeforte-central audit migrate-chain` has verified that chain
-- with its checkpoint key and sealed it into the tree.

CREATE TABLE audit_tree_hashes (
    idx INTEGER PRIMARY KEY NOT NULL CHECK (idx >= 0),
    hash BLOB NOT NULL
);

ALTER TABLE audit_head ADD COLUMN tree_size INTEGER NOT NULL DEFAULT 0;
ALTER TABLE audit_head ADD COLUMN signed_head TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_head ADD COLUMN legacy_entries INTEGER NOT NULL DEFAULT 0;
UPDATE audit_head SET legacy_entries = (SELECT COUNT(*) FROM audit_log) WHERE id = 1;

CREATE TABLE audit_tree_checkpoints (
    size INTEGER PRIMARY KEY NOT NULL CHECK (size >= 1),
    signed_at TEXT NOT NULL,
    note TEXT NOT NULL
);

CREATE TABLE audit_cosignatures (
    witness TEXT NOT NULL,
    size INTEGER NOT NULL,
    cosigned_at TEXT NOT NULL,
    note TEXT NOT NULL,
    PRIMARY KEY (witness, size)
);

CREATE TRIGGER audit_tree_hashes_no_update BEFORE UPDATE ON audit_tree_hashes
BEGIN SELECT RAISE(ABORT, 'audit_tree_hashes is append-only'); END;
CREATE TRIGGER audit_tree_hashes_no_delete BEFORE DELETE ON audit_tree_hashes
BEGIN SELECT RAISE(ABORT, 'audit_tree_hashes is append-only'); END;
CREATE TRIGGER audit_tree_checkpoints_no_update BEFORE UPDATE ON audit_tree_checkpoints
BEGIN SELECT RAISE(ABORT, 'audit_tree_checkpoints is append-only'); END;
CREATE TRIGGER audit_tree_checkpoints_no_delete BEFORE DELETE ON audit_tree_checkpoints
BEGIN SELECT RAISE(ABORT, 'audit_tree_checkpoints is append-only'); END;
CREATE TRIGGER audit_cosignatures_no_update BEFORE UPDATE ON audit_cosignatures
BEGIN SELECT RAISE(ABORT, 'audit_cosignatures is append-only'); END;
CREATE TRIGGER audit_cosignatures_no_delete BEFORE DELETE ON audit_cosignatures
BEGIN SELECT RAISE(ABORT, 'audit_cosignatures is append-only'); END;
