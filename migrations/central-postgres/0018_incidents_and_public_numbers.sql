-- Law 25 duties (issue 17, part C). See the SQLite migration of the same number for the why.

-- 1. The confidentiality-incident register (Règlement sur les incidents de confidentialité,
--    chapter A-2.1, r. 3.1, s. 7; paragraph numbers in the comments).
CREATE TABLE confidentiality_incidents (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    -- 1°
    information_described BOOLEAN NOT NULL,
    information TEXT NOT NULL,
    -- 2°
    circumstances TEXT NOT NULL,
    -- 3°
    occurred_from TEXT NOT NULL,
    occurred_to TEXT,
    occurred_approximate BOOLEAN NOT NULL,
    -- 4°
    aware_from TEXT NOT NULL,
    aware_to TEXT,
    -- 5°
    persons_concerned BIGINT NOT NULL CHECK (persons_concerned >= 0),
    persons_approximate BOOLEAN NOT NULL,
    -- 6°
    risk_assessment TEXT NOT NULL,
    serious_risk BOOLEAN NOT NULL,
    -- 7°
    commission_notified_on TEXT,
    persons_notified_on TEXT,
    public_notice_reason TEXT,
    -- 8°
    measures TEXT NOT NULL,
    alert_id BIGINT REFERENCES alerts (id)
);
CREATE INDEX confidentiality_incidents_alert ON confidentiality_incidents (alert_id);

-- 2. The registration's public number, from a sequence (never reused). ADD COLUMN with a
--    volatile default numbers the existing rows one by one; order them by registration first.
CREATE SEQUENCE registration_public_number_seq;
ALTER TABLE registrations ADD COLUMN public_number BIGINT;
UPDATE registrations r SET public_number = o.n
    FROM (SELECT id, row_number() OVER (ORDER BY registered_on, id) AS n FROM registrations) o
    WHERE r.id = o.id;
SELECT setval('registration_public_number_seq',
    (SELECT COALESCE(MAX(public_number), 0) + 1 FROM registrations), false);
ALTER TABLE registrations
    ALTER COLUMN public_number SET DEFAULT nextval('registration_public_number_seq');
ALTER TABLE registrations ALTER COLUMN public_number SET NOT NULL;
CREATE UNIQUE INDEX registrations_public_number ON registrations (public_number);
