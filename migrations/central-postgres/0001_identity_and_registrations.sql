-- Central service, part 1: daycares, device identities, enrolment codes, registrations.

CREATE TABLE daycares (
    id UUID PRIMARY KEY,
    name TEXT NOT NULL,
    region TEXT NOT NULL,
    places_under_18_months INTEGER NOT NULL CHECK (places_under_18_months >= 0),
    places_18_months_to_4_years INTEGER NOT NULL CHECK (places_18_months_to_4_years >= 0),
    places_four_years INTEGER NOT NULL CHECK (places_four_years >= 0),
    places_five_and_over INTEGER NOT NULL CHECK (places_five_and_over >= 0),
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE devices (
    id UUID PRIMARY KEY,
    daycare_id UUID NOT NULL REFERENCES daycares (id),
    enrolled_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ
);
CREATE INDEX devices_daycare ON devices (daycare_id);

-- Every certificate issued, so a CRL can list those of revoked devices.
CREATE TABLE device_certificates (
    serial_hex TEXT PRIMARY KEY,
    device_id UUID NOT NULL REFERENCES devices (id),
    not_before TIMESTAMPTZ NOT NULL,
    not_after TIMESTAMPTZ NOT NULL,
    issued_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX device_certificates_device ON device_certificates (device_id);

-- Only a SHA-256 of each code is kept; the code itself is printed once.
CREATE TABLE enrolment_codes (
    code_sha256 BYTEA PRIMARY KEY,
    daycare_id UUID NOT NULL REFERENCES daycares (id),
    issued_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at TIMESTAMPTZ,
    used_by_device UUID REFERENCES devices (id)
);

-- DESIGN.md section 5. Never the civil-status number (NIREC).
CREATE TABLE registrations (
    id UUID PRIMARY KEY,
    child_given_name TEXT NOT NULL,
    child_family_name TEXT NOT NULL,
    birth_date DATE NOT NULL,
    desired_entry_date DATE NOT NULL,
    registered_on DATE NOT NULL,
    region TEXT NOT NULL,
    address_key TEXT NOT NULL,
    parent_given_name TEXT NOT NULL,
    parent_family_name TEXT NOT NULL,
    parent_phone TEXT NOT NULL,
    parent_email TEXT NOT NULL,
    staff_member_child BOOLEAN NOT NULL,
    same_address_as_admitted_child BOOLEAN NOT NULL,
    already_in_subsidized_care BOOLEAN NOT NULL,
    special_needs BOOLEAN NOT NULL,
    socio_economic_precarity BOOLEAN NOT NULL,
    parent_in_education BOOLEAN NOT NULL
);
CREATE INDEX registrations_address ON registrations (address_key);

CREATE TABLE registration_choices (
    registration_id UUID NOT NULL REFERENCES registrations (id),
    daycare_id UUID NOT NULL REFERENCES daycares (id),
    preference INTEGER NOT NULL,
    PRIMARY KEY (registration_id, daycare_id)
);
CREATE INDEX registration_choices_daycare ON registration_choices (daycare_id);

-- Registrations no real workflow would ever refer: any touch of one raises an alert (part 2).
-- Kept apart so the registrations table looks the same for every row.
CREATE TABLE honeytoken_registrations (
    registration_id UUID PRIMARY KEY REFERENCES registrations (id)
);

-- Operator actions and device lifecycle events. The hash-chained audit log (part 2) absorbs it.
CREATE TABLE security_events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at TIMESTAMPTZ NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL
);
