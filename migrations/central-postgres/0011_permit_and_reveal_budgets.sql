-- The permit and reveal budgets count, on every declaration and every reveal, a daycare's
-- referrals over the rolling window, its open declared places per age class, and its reveals
-- over a day and a week; without these indexes each count scanned the whole table.
CREATE INDEX referrals_daycare_referred_at ON referrals (daycare_id, referred_at);
CREATE INDEX vacancies_daycare_age_class ON vacancies (daycare_id, age_class);
CREATE INDEX contact_reveals_daycare ON contact_reveals (daycare_id, revealed_at);
CREATE INDEX contact_reveals_referral ON contact_reveals (referral_id);
