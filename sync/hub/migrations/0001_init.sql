-- 0001: the hub's first schema. Migrations are append-only: never edit a
-- file once it has run anywhere; add the next number instead.

-- One row, minted once: the epoch that prefixes pull cursors, so a hub
-- restored from an older backup (or rebuilt) is noticed by communes instead
-- of silently skipping changes.
CREATE TABLE hub_meta (
    singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    epoch      text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO hub_meta (epoch) VALUES (substr(md5(random()::text || clock_timestamp()::text), 1, 16));

-- Agencies form a tree of any depth (province → commune today, province →
-- district → commune in older deployments, departments beside them). A
-- commune's change_seq numbers its pull log; incrementing it takes the row
-- lock that keeps the log's commit order equal to its sequence order.
CREATE TABLE agencies (
    id         bigserial PRIMARY KEY,
    code       text NOT NULL UNIQUE,            -- mã định danh điện tử, opaque
    name       text NOT NULL,
    kind       text NOT NULL DEFAULT '',        -- province, commune, department …
    level      int  NOT NULL CHECK (level >= 1),
    parent_id  bigint REFERENCES agencies (id),
    change_seq bigint NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX agencies_parent ON agencies (parent_id);

CREATE TABLE devices (
    id            text PRIMARY KEY,
    agency_id     bigint NOT NULL REFERENCES agencies (id),
    name          text NOT NULL,
    public_key    bytea NOT NULL UNIQUE CHECK (length(public_key) = 32),
    status        text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'revoked')),
    app_version   text NOT NULL DEFAULT '',
    enrolled_at   timestamptz NOT NULL DEFAULT now(),
    revoked_at    timestamptz,
    revoke_reason text NOT NULL DEFAULT '',
    last_seen_at  timestamptz
);
CREATE INDEX devices_agency ON devices (agency_id);

-- Only the SHA-256 of a code is kept: a leaked table does not enrol anyone.
CREATE TABLE enrolment_codes (
    code_sha256 bytea PRIMARY KEY,
    agency_id   bigint NOT NULL REFERENCES agencies (id),
    created_by  text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    device_id   text REFERENCES devices (id)
);

CREATE TABLE nonces (
    device_id  text NOT NULL REFERENCES devices (id),
    nonce      text NOT NULL,
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (device_id, nonce)
);
CREATE INDEX nonces_expiry ON nonces (expires_at);

-- A blob row exists only once its bytes are in the blob store and their
-- SHA-256 was checked.
CREATE TABLE blobs (
    sha256      text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size        bigint NOT NULL CHECK (size > 0),
    verified_at timestamptz NOT NULL DEFAULT now()
);

-- Uploads in progress: offset is what is durably in the store's staging
-- area, written after the store's fsync.
CREATE TABLE blob_uploads (
    sha256       text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size         bigint NOT NULL CHECK (size > 0),
    offset_bytes bigint NOT NULL CHECK (offset_bytes >= 0 AND offset_bytes <= size),
    device_id    text REFERENCES devices (id),
    started_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

-- id is the commune-minted ID: the get-or-create key. record is the wire
-- document as stored; content_sha256 tells a replay from a conflicting
-- rewrite. export_xid is the writing transaction, for the national export's
-- commit-order-safe cursor.
CREATE TABLE dossiers (
    id              text PRIMARY KEY,
    agency_id       bigint NOT NULL REFERENCES agencies (id),
    code            text NOT NULL UNIQUE,
    procedure_code  text NOT NULL,
    state           text NOT NULL,
    national_status int  NOT NULL CHECK (national_status BETWEEN 1 AND 10),
    received_at     timestamptz NOT NULL,
    due_at          timestamptz,
    record          jsonb NOT NULL,
    content_sha256  bytea NOT NULL,
    device_id       text NOT NULL REFERENCES devices (id),
    hub_received_at timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    export_xid      xid8 NOT NULL DEFAULT pg_current_xact_id()
);
CREATE INDEX dossiers_agency_due ON dossiers (agency_id, due_at);
CREATE INDEX dossiers_export ON dossiers (export_xid, id);

-- Commune events and hub-side actions in one audit trail: at is when the
-- person acted (device time for a commune), hub_received_at when the hub
-- stored it.
CREATE TABLE events (
    id              text PRIMARY KEY,
    dossier_id      text NOT NULL REFERENCES dossiers (id),
    origin          text NOT NULL CHECK (origin IN ('commune', 'hub')),
    action          text NOT NULL,
    from_state      text NOT NULL DEFAULT '',
    to_state        text NOT NULL DEFAULT '',
    at              timestamptz NOT NULL,
    actor           text NOT NULL,
    record          jsonb NOT NULL,
    content_sha256  bytea NOT NULL,
    device_id       text REFERENCES devices (id),
    hub_received_at timestamptz NOT NULL DEFAULT now(),
    ord             bigserial
);
CREATE INDEX events_dossier ON events (dossier_id, ord);

-- Which dossiers reference which blobs: a device may download only blobs of
-- its own commune's dossiers.
CREATE TABLE blob_refs (
    sha256     text NOT NULL REFERENCES blobs (sha256),
    dossier_id text NOT NULL REFERENCES dossiers (id),
    PRIMARY KEY (sha256, dossier_id)
);
CREATE INDEX blob_refs_dossier ON blob_refs (dossier_id);

-- The per-commune pull log.
CREATE TABLE changes (
    agency_id  bigint NOT NULL REFERENCES agencies (id),
    seq        bigint NOT NULL,
    id         text NOT NULL UNIQUE,
    dossier_id text NOT NULL REFERENCES dossiers (id),
    record     jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (agency_id, seq)
);
