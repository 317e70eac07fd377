-- 0004: the desks' audit logs (POST /v1/audit). Each device's hash chain is
-- stored as it arrives, in order and without gaps: entry seq links to the
-- stored entry seq-1 by prev_hash. Rows are never updated or deleted.
CREATE TABLE audit_entries (
    device_id   text   NOT NULL REFERENCES devices (id),
    seq         bigint NOT NULL CHECK (seq >= 1),
    hash        text   NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),
    prev_hash   text   NOT NULL CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
    record      jsonb  NOT NULL, -- the entry as the desk sent it (wire.AuditEntry)
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (device_id, seq)
);

-- The desk's chain head as it reported it with its last batch: the hub's
-- copy is up to date when its last stored seq reaches it.
CREATE TABLE audit_heads (
    device_id   text   PRIMARY KEY REFERENCES devices (id),
    head_seq    bigint NOT NULL CHECK (head_seq >= 0),
    head_hash   text   NOT NULL DEFAULT '',
    reported_at timestamptz NOT NULL
);

-- Entries that contradict the stored chain: the same seq with another
-- hash, a broken link to the stored entry before it, or an entry that does
-- not match its own hash. Evidence of a log changed after it was sent; kept
-- for people, one row per distinct entry the device sent.
CREATE TABLE audit_conflicts (
    device_id   text   NOT NULL REFERENCES devices (id),
    seq         bigint NOT NULL,
    hash        text   NOT NULL,             -- the hash the device sent
    stored_hash text   NOT NULL DEFAULT '',  -- what the hub holds for seq ('' if nothing)
    reason      text   NOT NULL CHECK (reason IN ('different_hash', 'broken_link', 'altered')),
    record      jsonb  NOT NULL,
    first_at    timestamptz NOT NULL,
    last_at     timestamptz NOT NULL,
    times       int    NOT NULL DEFAULT 1,
    PRIMARY KEY (device_id, seq, hash)
);
