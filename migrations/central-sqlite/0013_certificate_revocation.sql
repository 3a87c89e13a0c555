-- A renewal revokes the certificate it replaces, so the old one cannot be used (or renew
-- again) once the new one is issued. NULL while the certificate is the device's current one.
ALTER TABLE device_certificates ADD COLUMN revoked_at TEXT;
