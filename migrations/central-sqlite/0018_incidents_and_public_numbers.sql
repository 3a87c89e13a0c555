-- Law 25 duties (issue 17, part C).
--
-- 1. The confidentiality-incident register: one row per incident, the contents that s. 7 of
--    the Règlement sur les incidents de confidentialité (chapter A-2.1, r. 3.1) lists, numbered
--    in the column comments. Free text may describe people, so no audit entry ever copies it:
--    the log names the incident's number only. Dates are `YYYY-MM-DD` text, checked in Rust.
CREATE TABLE confidentiality_incidents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    -- 1°: the personal information concerned, or why it cannot be described.
    information_described INTEGER NOT NULL,
    information TEXT NOT NULL,
    -- 2°
    circumstances TEXT NOT NULL,
    -- 3°: a date (occurred_to NULL) or a period; approximate when not known.
    occurred_from TEXT NOT NULL,
    occurred_to TEXT,
    occurred_approximate INTEGER NOT NULL,
    -- 4°
    aware_from TEXT NOT NULL,
    aware_to TEXT,
    -- 5°
    persons_concerned INTEGER NOT NULL CHECK (persons_concerned >= 0),
    persons_approximate INTEGER NOT NULL,
    -- 6°: the elements weighed, and the conclusion.
    risk_assessment TEXT NOT NULL,
    serious_risk INTEGER NOT NULL,
    -- 7°: only when serious_risk.
    commission_notified_on TEXT,
    persons_notified_on TEXT,
    public_notice_reason TEXT,
    -- 8°
    measures TEXT NOT NULL,
    -- The alert it was raised from, if any.
    alert_id INTEGER REFERENCES alerts (id)
);
CREATE INDEX confidentiality_incidents_alert ON confidentiality_incidents (alert_id);

-- 2. The registration's public number: what a family quotes when it asks who consulted its
--    file (the internal UUID is never shown to it). Numbers come from a counter, never from
--    rowid (VACUUM may renumber rowids) and are never reused once a registration is purged.
ALTER TABLE registrations ADD COLUMN public_number INTEGER;
CREATE TABLE registration_public_number_counter (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    next_number INTEGER NOT NULL
);
INSERT INTO registration_public_number_counter (id, next_number) VALUES (1, 1);
-- Existing registrations, in registration order.
UPDATE registrations SET public_number = o.n
    FROM (SELECT id, row_number() OVER (ORDER BY registered_on, id) AS n FROM registrations) AS o
    WHERE registrations.id = o.id;
UPDATE registration_public_number_counter
    SET next_number = (SELECT COALESCE(MAX(public_number), 0) + 1 FROM registrations);
CREATE UNIQUE INDEX registrations_public_number ON registrations (public_number);
-- Every new registration gets the next number, whoever inserts it (seed, intake, import):
-- inserters leave the column out.
CREATE TRIGGER registrations_assign_public_number AFTER INSERT ON registrations
WHEN NEW.public_number IS NULL
BEGIN
    UPDATE registrations
        SET public_number = (SELECT next_number FROM registration_public_number_counter)
        WHERE id = NEW.id;
    UPDATE registration_public_number_counter SET next_number = next_number + 1;
END;
