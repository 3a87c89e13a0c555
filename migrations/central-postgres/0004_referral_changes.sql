-- The delta sync's order: every change to a referral stamps it with the sequence number of the
-- audit entry written in the same transaction. Those transactions run one at a time (the audit
-- head's lock), so stamps grow in commit order and a cursor never skips a change.
ALTER TABLE referrals ADD COLUMN change_seq BIGINT NOT NULL DEFAULT 0;
CREATE INDEX referrals_changes ON referrals (daycare_id, change_seq, id);
