-- Which desktop notifications were shown, so that each is shown once per referral and
-- threshold, not at every sync. Opaque ids and a code only: no personal data (the
-- notification texts themselves are counts).
CREATE TABLE notice_shown (
    referral_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('arrived', 'deadline_soon')),
    PRIMARY KEY (referral_id, kind)
) STRICT;
