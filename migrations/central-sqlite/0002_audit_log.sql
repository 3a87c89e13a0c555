-- Central service, part 2: the tamper-evident audit log. It absorbs part 1's security_events
-- (no deployment holds any yet, so the table goes without a copy: its rows had no chain).
--
-- Each entry's hash covers its own fields and the previous entry's hash (crate::audit); signed
-- checkpoints pin the chain at intervals with a key the database never sees. No personal data:
-- ids, action names, reason codes.

DROP TABLE security_events;

CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY NOT NULL CHECK (seq >= 1),
    occurred_at TEXT NOT NULL,
    actor TEXT NOT NULL,
    daycare_id TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    referral_ids TEXT NOT NULL,
    reason TEXT NOT NULL,
    prev_hash BLOB NOT NULL,
    entry_hash BLOB NOT NULL
);
CREATE INDEX audit_log_daycare ON audit_log (daycare_id, seq);

CREATE TABLE audit_checkpoints (
    seq INTEGER PRIMARY KEY NOT NULL,
    entry_hash BLOB NOT NULL,
    signed_at TEXT NOT NULL,
    signature BLOB NOT NULL
);

-- One row every append updates first: it takes the write lock before the tip is read, so two
-- appends never chain onto the same entry.
CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    appends INTEGER NOT NULL
);
INSERT INTO audit_head (id, appends) VALUES (1, 0);

-- Append-only for whoever opens the file through the service. Someone with the file can drop
-- these; the chain and the signed checkpoints are what catch that.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END;
CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END;
