-- Central service, part 2: vacancies a daycare declares and the referrals made for them.

CREATE TABLE vacancies (
    id UUID PRIMARY KEY,
    daycare_id UUID NOT NULL REFERENCES daycares (id),
    age_class TEXT NOT NULL,
    places INTEGER NOT NULL CHECK (places >= 1),
    start_date DATE NOT NULL,
    group_label TEXT,
    declared_at TIMESTAMPTZ NOT NULL,
    declared_by_device UUID NOT NULL REFERENCES devices (id)
);
CREATE INDEX vacancies_daycare ON vacancies (daycare_id);

-- A registration's offer state (crates/domain's RegistrationState); no row means waiting with
-- no missed deadline.
CREATE TABLE registration_states (
    registration_id UUID PRIMARY KEY REFERENCES registrations (id),
    status TEXT NOT NULL,
    missed_deadlines INTEGER NOT NULL
);

-- rank_reason is the domain's RankReason as JSON, kept to explain the rank later; the rule set
-- id inside it says which rules produced it.
CREATE TABLE referrals (
    id UUID PRIMARY KEY,
    vacancy_id UUID NOT NULL REFERENCES vacancies (id),
    daycare_id UUID NOT NULL REFERENCES daycares (id),
    registration_id UUID NOT NULL REFERENCES registrations (id),
    status TEXT NOT NULL,
    rank INTEGER NOT NULL,
    rank_reason TEXT NOT NULL,
    answer_by DATE NOT NULL,
    referred_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX referrals_daycare ON referrals (daycare_id, status);
CREATE INDEX referrals_registration ON referrals (registration_id);
