-- Central service, part 1: daycares, device identities, enrolment codes, registrations.
-- Ids are UUIDs (16-byte blobs here); instants are RFC 3339 text written by sqlx.

CREATE TABLE daycares (
    id BLOB PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    region TEXT NOT NULL,
    places_under_18_months INTEGER NOT NULL CHECK (places_under_18_months >= 0),
    places_18_months_to_4_years INTEGER NOT NULL CHECK (places_18_months_to_4_years >= 0),
    places_four_years INTEGER NOT NULL CHECK (places_four_years >= 0),
    places_five_and_over INTEGER NOT NULL CHECK (places_five_and_over >= 0),
    created_at TEXT NOT NULL
);

CREATE TABLE devices (
    id BLOB PRIMARY KEY NOT NULL,
    daycare_id BLOB NOT NULL REFERENCES daycares (id),
    enrolled_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE INDEX devices_daycare ON devices (daycare_id);

-- Every certificate issued, so a CRL can list those of revoked devices.
CREATE TABLE device_certificates (
    serial_hex TEXT PRIMARY KEY NOT NULL,
    device_id BLOB NOT NULL REFERENCES devices (id),
    not_before TEXT NOT NULL,
    not_after TEXT NOT NULL,
    issued_at TEXT NOT NULL
);
CREATE INDEX device_certificates_device ON device_certificates (device_id);

-- Only a SHA-256 of each code is kept; the code itself is printed once.
CREATE TABLE enrolment_codes (
    code_sha256 BLOB PRIMARY KEY NOT NULL,
    daycare_id BLOB NOT NULL REFERENCES daycares (id),
    issued_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT,
    used_by_device BLOB REFERENCES devices (id)
);

-- DESIGN.md section 5. Never the civil-status number (NIREC).
CREATE TABLE registrations (
    id BLOB PRIMARY KEY NOT NULL,
    child_given_name TEXT NOT NULL,
    child_family_name TEXT NOT NULL,
    birth_date TEXT NOT NULL,
    desired_entry_date TEXT NOT NULL,
    registered_on TEXT NOT NULL,
    region TEXT NOT NULL,
    address_key TEXT NOT NULL,
    parent_given_name TEXT NOT NULL,
    parent_family_name TEXT NOT NULL,
    parent_phone TEXT NOT NULL,
    parent_email TEXT NOT NULL,
    staff_member_child INTEGER NOT NULL,
    same_address_as_admitted_child INTEGER NOT NULL,
    already_in_subsidized_care INTEGER NOT NULL,
    special_needs INTEGER NOT NULL,
    socio_economic_precarity INTEGER NOT NULL,
    parent_in_education INTEGER NOT NULL
);
CREATE INDEX registrations_address ON registrations (address_key);

CREATE TABLE registration_choices (
    registration_id BLOB NOT NULL REFERENCES registrations (id),
    daycare_id BLOB NOT NULL REFERENCES daycares (id),
    preference INTEGER NOT NULL,
    PRIMARY KEY (registration_id, daycare_id)
);
CREATE INDEX registration_choices_daycare ON registration_choices (daycare_id);

-- Registrations no real workflow would ever refer: any touch of one raises an alert (part 2).
-- Kept apart so the registrations table looks the same for every row.
CREATE TABLE honeytoken_registrations (
    registration_id BLOB PRIMARY KEY NOT NULL REFERENCES registrations (id)
);

-- Operator actions and device lifecycle events. The hash-chained audit log (part 2) absorbs it.
CREATE TABLE security_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    occurred_at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL
);
