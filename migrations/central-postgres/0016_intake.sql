-- Issue 17, part A: registrations come in through the province's registration front end.
--
-- The front end is an intake client: its own certificate from the service's CA (a SAN
-- `urn:placeforte:intake:<id>`, never a daycare's), issued by `intake-client issue`. Its
-- certificates are listed like a device's, so a revoked client is refused at its next request.
CREATE TABLE intake_clients (
    id UUID PRIMARY KEY,
    name TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ
);

CREATE TABLE intake_certificates (
    serial_hex TEXT PRIMARY KEY NOT NULL,
    client_id UUID NOT NULL REFERENCES intake_clients (id),
    not_before TIMESTAMPTZ NOT NULL,
    not_after TIMESTAMPTZ NOT NULL,
    issued_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX intake_certificates_client ON intake_certificates (client_id);

-- Every intake write, by the client's idempotency key: a retry with the same request gets the
-- stored answer and changes nothing; another request under the key is refused. `request` is the
-- canonical JSON of the operation and its body (personal data, like the registration it made:
-- it goes when the registration's data goes).
CREATE TABLE intake_requests (
    client_id UUID NOT NULL REFERENCES intake_clients (id),
    idempotency_key UUID NOT NULL,
    registration_id UUID NOT NULL REFERENCES registrations (id),
    request TEXT NOT NULL,
    response TEXT NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (client_id, idempotency_key)
);
CREATE INDEX intake_requests_registration ON intake_requests (registration_id);

-- A deactivated daycare takes no new choices and no new referrals; its row, permit and history
-- stay (the audit log and the access reports name it).
ALTER TABLE daycares ADD COLUMN deactivated_at TIMESTAMPTZ;
