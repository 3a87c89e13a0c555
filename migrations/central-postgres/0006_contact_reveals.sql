-- Every contact reveal: the per-device daily quota counts these, the access report lists them.
-- The free-text note stays here, out of the hash-chained log (it may name a person).
CREATE TABLE contact_reveals (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    device_id UUID NOT NULL REFERENCES devices (id),
    daycare_id UUID NOT NULL REFERENCES daycares (id),
    referral_id UUID NOT NULL REFERENCES referrals (id),
    registration_id UUID NOT NULL REFERENCES registrations (id),
    reason TEXT NOT NULL,
    note TEXT,
    revealed_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX contact_reveals_device ON contact_reveals (device_id, revealed_at);
CREATE INDEX contact_reveals_registration ON contact_reveals (registration_id);
