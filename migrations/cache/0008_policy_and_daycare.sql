-- What the service sets and the workstation keeps between syncs, with no personal data:
-- the offline period the operator chose (days without a successful sync before the cache is
-- wiped; NULL until a sync brings it, when the app's default applies), and the daycare this
-- cache belongs to (a re-enrolment for another daycare wipes it).
ALTER TABLE sync_state ADD COLUMN offline_period_days INTEGER
    CHECK (offline_period_days BETWEEN 1 AND 90);
ALTER TABLE sync_state ADD COLUMN daycare_id TEXT;

-- Which warnings before a cliff (the certificate's expiry, the end of the offline period)
-- were notified, once per cliff and threshold. Kinds and instants only.
CREATE TABLE cliff_notice_shown (
    kind TEXT NOT NULL CHECK (kind IN ('certificate_expiry', 'offline_period_end')),
    cliff_at TEXT NOT NULL,
    threshold_days INTEGER NOT NULL,
    PRIMARY KEY (kind, cliff_at, threshold_days)
) STRICT;
