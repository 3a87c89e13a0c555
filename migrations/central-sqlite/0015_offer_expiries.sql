-- Issue 14: the service keeps the offer clock. An open referral whose answer-by day has ended
-- in Québec is expired by the service itself (the missed-deadline rule applied to the
-- registration, its places offered to the next families), once: this row is written in the
-- expiry's transaction, so a second instance or a late answer finds it. It keeps what the
-- expiry changed (the registration's state before it, the referrals it closed, the choice it
-- ended) so the operator can see and explain it later.
CREATE TABLE offer_expiries (
    referral_id BLOB PRIMARY KEY NOT NULL REFERENCES referrals (id),
    registration_id BLOB NOT NULL REFERENCES registrations (id),
    expired_at TEXT NOT NULL,
    -- The domain's OutcomeEffect code, or `none` when the registration was already closed.
    effect TEXT NOT NULL,
    -- NULL: the registration had no state row (waiting, no missed deadline).
    prior_status TEXT,
    prior_missed_deadlines INTEGER,
    -- The other referrals a withdrawal closed (a JSON array of ids).
    closed_referrals TEXT NOT NULL,
    ended_choice_preference INTEGER
);
CREATE INDEX offer_expiries_registration ON offer_expiries (registration_id);

-- The sweep's question, "which open offers are past their day", answered from an index.
CREATE INDEX referrals_open_answer_by ON referrals (answer_by) WHERE status = 'open';
