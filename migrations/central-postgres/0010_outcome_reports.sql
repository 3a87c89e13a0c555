-- Issue 12, finding 1: a daycare's answer changes only its own referral and the family's choice
-- of it. Each answer is kept with what it changed at once, so the operator can revert it
-- exactly; an answer that reaches further (placing, suspending or withdrawing the registration)
-- is kept as the daycare's report and applied only when confirmed.
CREATE TABLE referral_outcomes (
    id UUID PRIMARY KEY NOT NULL,
    referral_id UUID NOT NULL REFERENCES referrals (id),
    daycare_id UUID NOT NULL REFERENCES daycares (id),
    device_id UUID NOT NULL REFERENCES devices (id),
    -- The domain's OfferOutcome as JSON, so a confirmation applies exactly what was answered.
    outcome TEXT NOT NULL,
    referral_status TEXT NOT NULL,
    -- The preference of the choice the answer ended; NULL when it ended none.
    ended_choice_preference INTEGER,
    recorded_at TIMESTAMPTZ NOT NULL,
    reverted_at TIMESTAMPTZ,
    reverted_by TEXT,
    revert_reason TEXT
);
CREATE INDEX referral_outcomes_daycare ON referral_outcomes (daycare_id, recorded_at);
CREATE INDEX referral_outcomes_referral ON referral_outcomes (referral_id, recorded_at);

-- status: pending, confirmed, or reverted. On confirmation the registration's state before it
-- (prior_status NULL: it had no row) and the referrals it closed (a JSON array of ids) are kept
-- for a revert.
CREATE TABLE outcome_reports (
    id UUID PRIMARY KEY NOT NULL,
    outcome_id UUID NOT NULL UNIQUE REFERENCES referral_outcomes (id),
    kind TEXT NOT NULL,
    referral_id UUID NOT NULL REFERENCES referrals (id),
    registration_id UUID NOT NULL REFERENCES registrations (id),
    daycare_id UUID NOT NULL REFERENCES daycares (id),
    device_id UUID NOT NULL REFERENCES devices (id),
    reported_at TIMESTAMPTZ NOT NULL,
    status TEXT NOT NULL,
    settled_at TIMESTAMPTZ,
    settled_by TEXT,
    prior_status TEXT,
    prior_missed_deadlines INTEGER,
    closed_referrals TEXT
);
CREATE INDEX outcome_reports_status ON outcome_reports (status, reported_at);
