-- Vacancy declarations the director made here, sent through the outbox like outcomes. A
-- vacancy holds no personal data: an age class, a number of places, a start date and the
-- daycare's own group label. `vacancy_id`, `referrals` and `answer_by` are the service's answer,
-- empty until it is sent; where it stands is its outbox entry's state.
CREATE TABLE vacancy (
    local_id TEXT PRIMARY KEY,
    age_class TEXT NOT NULL,
    places INTEGER NOT NULL CHECK (places >= 1),
    start_date TEXT NOT NULL,
    group_label TEXT,
    created_at TEXT NOT NULL,
    vacancy_id TEXT UNIQUE,
    referrals INTEGER CHECK (referrals >= 0),
    answer_by TEXT
) STRICT;

-- The outbox now holds both kinds, in one order: an outcome names its referral and outcome, a
-- declaration its local vacancy. SQLite cannot relax NOT NULL in place, so the table is
-- rebuilt, keeping every entry with its sequence number.
CREATE TABLE outbox_v2 (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    idempotency_key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('outcome', 'vacancy')),
    referral_id TEXT,
    outcome TEXT,
    vacancy_local_id TEXT UNIQUE REFERENCES vacancy (local_id),
    created_at TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'conflict')),
    conflict_code TEXT,
    CHECK ((kind = 'outcome') = (referral_id IS NOT NULL AND outcome IS NOT NULL)),
    CHECK ((kind = 'vacancy') = (vacancy_local_id IS NOT NULL))
) STRICT;

INSERT INTO outbox_v2 (seq, idempotency_key, kind, referral_id, outcome, created_at, state,
                       conflict_code)
SELECT seq, idempotency_key, 'outcome', referral_id, outcome, created_at, state, conflict_code
FROM outbox;

DROP TABLE outbox;
ALTER TABLE outbox_v2 RENAME TO outbox;
