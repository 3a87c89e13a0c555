-- Alerts for the operator: quota breaches, honeytoken touches, repeated requests for ids that
-- are not the caller's. Ids and kinds only, never personal data. Written apart from the
-- request's transaction: an alert never blocks (or rolls back) the audit write.
CREATE TABLE alerts (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    raised_at TEXT NOT NULL,
    kind TEXT NOT NULL,
    device_id TEXT NOT NULL,
    daycare_id TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX audit_log_actor ON audit_log (actor, action, seq);
