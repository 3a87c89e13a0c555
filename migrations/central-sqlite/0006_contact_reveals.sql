-- Every contact reveal: the per-device daily quota counts these, the access report lists them.
-- The free-text note stays here, out of the hash-chained log (it may name a person).
CREATE TABLE contact_reveals (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    device_id BLOB NOT NULL REFERENCES devices (id),
    daycare_id BLOB NOT NULL REFERENCES daycares (id),
    referral_id BLOB NOT NULL REFERENCES referrals (id),
    registration_id BLOB NOT NULL REFERENCES registrations (id),
    reason TEXT NOT NULL,
    note TEXT,
    revealed_at TEXT NOT NULL
);
CREATE INDEX contact_reveals_device ON contact_reveals (device_id, revealed_at);
CREATE INDEX contact_reveals_registration ON contact_reveals (registration_id);
