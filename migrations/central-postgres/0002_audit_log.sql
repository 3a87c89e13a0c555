-- Central service, part 2: the tamper-evident audit log. It absorbs part 1's security_events
-- (no deployment holds any yet, so the table goes without a copy: its rows had no chain).
--
-- Each entry's hash covers its own fields and the previous entry's hash (crate::audit); signed
-- checkpoints pin the chain at intervals with a key the database never sees. No personal data:
-- ids, action names, reason codes. Instants are kept as the exact RFC 3339 text that was hashed.

DROP TABLE security_events;

CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY CHECK (seq >= 1),
    occurred_at TEXT NOT NULL,
    actor TEXT NOT NULL,
    daycare_id TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    referral_ids TEXT NOT NULL,
    reason TEXT NOT NULL,
    prev_hash BYTEA NOT NULL,
    entry_hash BYTEA NOT NULL
);
CREATE INDEX audit_log_daycare ON audit_log (daycare_id, seq);

CREATE TABLE audit_checkpoints (
    seq BIGINT PRIMARY KEY,
    entry_hash BYTEA NOT NULL,
    signed_at TEXT NOT NULL,
    signature BYTEA NOT NULL
);

-- One row every append updates first: its row lock orders concurrent appends, so two
-- transactions never chain onto the same entry.
CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    appends BIGINT NOT NULL
);
INSERT INTO audit_head (id, appends) VALUES (1, 0);

-- Append-only even for the tables' owner (a superuser can still disable triggers; the chain and
-- the signed checkpoints catch that).
CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit tables are append-only' USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();

-- Production runs the service as a role that does not own the tables. The operator creates it
-- (CREATE ROLE placeforte_service LOGIN ...) and calls this once after the migrations, as the
-- owner: the service role may read and write every table but only INSERT into the audit tables.
CREATE FUNCTION placeforte_grant_service_role(service_role name) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I', current_schema(), service_role);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO %I',
        current_schema(), service_role);
    EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %I TO %I',
        current_schema(), service_role);
    EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON %I.audit_log, %I.audit_checkpoints FROM %I',
        current_schema(), current_schema(), service_role);
END
$$;
