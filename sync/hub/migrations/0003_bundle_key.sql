-- 0003: the hub's own Ed25519 key, which signs the bundles of changes that
-- are carried to a commune on a USB stick when it has no network (see
-- bundle.go). One row per purpose; the hub mints the seed at its first start
-- on this schema (crypto/rand in Go: PostgreSQL's random() is not a key
-- generator) and never replaces it, so every desk that learned the public
-- key keeps verifying. The seed is as secret as the rest of this database.
CREATE TABLE hub_keys (
    purpose    text PRIMARY KEY,
    seed       bytea NOT NULL CHECK (length(seed) = 32),
    created_at timestamptz NOT NULL DEFAULT now()
);
