-- 0006: each device's age X25519 recipient ("age1…"), to which the hub
-- encrypts the changes bundles (results, notes, result papers: personal data,
-- Decree 13/2023) carried back to the commune on a USB stick. The desk mints
-- its identity and tells the recipient under its own signature, online
-- (PUT /v1/device/recipient) or in the manifest of an outbox bundle, so desks
-- enrolled before this schema tell it too. NULL until it did; the hub then
-- refuses to write a changes bundle for the device rather than write one in
-- clear. The recipient is public; only the desk holds the identity.
ALTER TABLE devices ADD COLUMN age_recipient text CHECK (age_recipient LIKE 'age1%');
ALTER TABLE devices ADD COLUMN age_recipient_at timestamptz;
