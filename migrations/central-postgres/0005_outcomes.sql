-- Outcomes already applied, by idempotency key, with the answer sent: a retry gets the same
-- answer and changes nothing. Keys are scoped to the daycare, so one daycare's key can neither
-- collide with nor reveal another's.
CREATE TABLE outcome_requests (
    daycare_id UUID NOT NULL REFERENCES daycares (id),
    idempotency_key UUID NOT NULL,
    referral_id UUID NOT NULL REFERENCES referrals (id),
    response TEXT NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (daycare_id, idempotency_key)
);
CREATE INDEX referrals_vacancy ON referrals (vacancy_id, status);
