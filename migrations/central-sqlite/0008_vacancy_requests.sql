-- Declarations already applied, by idempotency key, with the request and the answer sent: a
-- retry of the same declaration gets the same answer and declares nothing; the key with another
-- declaration is refused. Keys are scoped to the daycare, so one daycare's key can neither
-- collide with nor reveal another's.
CREATE TABLE vacancy_requests (
    daycare_id BLOB NOT NULL REFERENCES daycares (id),
    idempotency_key BLOB NOT NULL,
    vacancy_id BLOB NOT NULL REFERENCES vacancies (id),
    request TEXT NOT NULL,
    response TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    PRIMARY KEY (daycare_id, idempotency_key)
);
