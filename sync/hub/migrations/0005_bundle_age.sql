-- 0005: the hub's age X25519 identity, which decrypts the outbox bundles
-- desks carry on USB sticks (they hold citizens' personal data, Decree
-- 13/2023, and are encrypted to the recipient served on GET /v1/bundle-key).
-- It lives beside the bundle signing key in hub_keys, as a row of purpose
-- 'bundle-age' whose secret is the identity's text form ("AGE-SECRET-KEY-1…",
-- minted by the hub with filippo.io/age at its first start on this schema and
-- never replaced: bundles already written to the old recipient would not
-- open). A row holds either a seed or a secret. As secret as the rest of this
-- database.
ALTER TABLE hub_keys ADD COLUMN secret text;
ALTER TABLE hub_keys ALTER COLUMN seed DROP NOT NULL;
ALTER TABLE hub_keys ADD CONSTRAINT hub_keys_one_secret CHECK ((seed IS NULL) <> (secret IS NULL));
