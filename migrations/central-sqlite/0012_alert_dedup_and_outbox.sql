-- Alerts exactly once per window, and to a person.
-- dedup_key is `kind|subject|window start`: the UNIQUE index lets N parallel requests that all
-- see a threshold crossed try to insert the same alert, and only one insert wins
-- (INSERT ... ON CONFLICT DO NOTHING). Alerts stored before this migration keep a NULL key
-- (NULLs never conflict).
ALTER TABLE alerts ADD COLUMN dedup_key TEXT;
ALTER TABLE alerts ADD COLUMN window_start TEXT NOT NULL DEFAULT '';
ALTER TABLE alerts ADD COLUMN acknowledged_at TEXT;
ALTER TABLE alerts ADD COLUMN acknowledged_by TEXT;
ALTER TABLE alerts ADD COLUMN acknowledgement_note TEXT;
CREATE UNIQUE INDEX alerts_dedup_key ON alerts (dedup_key);

-- The durable outbox: one row per alert, written in the alert's own transaction, until the
-- webhook answered 2xx. A sender claims a row by setting lease_until (an UPDATE that only
-- matches an expired lease), so two service instances never send the same row at once.
CREATE TABLE alert_deliveries (
    alert_id INTEGER PRIMARY KEY REFERENCES alerts (id),
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    lease_until TEXT NOT NULL DEFAULT '',
    lease_owner TEXT NOT NULL DEFAULT '',
    last_error TEXT NOT NULL DEFAULT '',
    delivered_at TEXT
);
CREATE INDEX alert_deliveries_pending ON alert_deliveries (state, next_attempt_at);
