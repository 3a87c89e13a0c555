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
    idx BIGINT PRIMARY KEY CHECK (idx >= 0),
    hash BYTEA NOT NULL
);

ALTER TABLE audit_head ADD COLUMN tree_size BIGINT NOT NULL DEFAULT 0;
ALTER TABLE audit_head ADD COLUMN signed_head TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_head ADD COLUMN legacy_entries BIGINT NOT NULL DEFAULT 0;
UPDATE audit_head SET legacy_entries = (SELECT COUNT(*) FROM audit_log) WHERE id = 1;

CREATE TABLE audit_tree_checkpoints (
    size BIGINT PRIMARY KEY CHECK (size >= 1),
    signed_at TEXT NOT NULL,
    note TEXT NOT NULL
);

CREATE TABLE audit_cosignatures (
    witness TEXT NOT NULL,
    size BIGINT NOT NULL,
    cosigned_at TEXT NOT NULL,
    note TEXT NOT NULL,
    PRIMARY KEY (witness, size)
);

CREATE TRIGGER audit_tree_hashes_append_only BEFORE UPDATE OR DELETE ON audit_tree_hashes
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_tree_hashes_no_truncate BEFORE TRUNCATE ON audit_tree_hashes
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_tree_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_tree_checkpoints
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_tree_checkpoints_no_truncate BEFORE TRUNCATE ON audit_tree_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_cosignatures_append_only BEFORE UPDATE OR DELETE ON audit_cosignatures
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_cosignatures_no_truncate BEFORE TRUNCATE ON audit_cosignatures
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();

-- The service role may only append to the new audit tables too.
CREATE OR REPLACE FUNCTION placeforte_grant_service_role(service_role name) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I', current_schema(), service_role);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO %I',
        current_schema(), service_role);
    EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %I TO %I',
        current_schema(), service_role);
    EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON %I.audit_log, %I.audit_checkpoints,'
        ' %I.audit_tree_hashes, %I.audit_tree_checkpoints, %I.audit_cosignatures FROM %I',
        current_schema(), current_schema(), current_schema(), current_schema(),
        current_schema(), service_role);
END
$$;
