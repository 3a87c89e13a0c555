-- Issue 17, part B: personal data leaves on time (crate::retention). The service's retention
-- sweep notes the Québec day it first finds a referral decided or a registration closed, and
-- purges the personal data once the rule set's period has passed since that day. A row stays
-- after the purge (purged_on set) so the purge happens once and the operator can list it; it
-- holds ids and days only. A row not yet purged is dropped if its subject reopens (an operator
-- revert), so the clock starts again at the next closure.
CREATE TABLE referral_retention (
    referral_id BLOB PRIMARY KEY NOT NULL REFERENCES referrals (id),
    closed_on TEXT NOT NULL,
    purged_on TEXT
);
CREATE INDEX referral_retention_due ON referral_retention (closed_on) WHERE purged_on IS NULL;

CREATE TABLE registration_retention (
    registration_id BLOB PRIMARY KEY NOT NULL REFERENCES registrations (id),
    closed_on TEXT NOT NULL,
    purged_on TEXT
);
CREATE INDEX registration_retention_due ON registration_retention (closed_on)
    WHERE purged_on IS NULL;
