-- 0002: the staff web UI. District and provincial officials log in with a
-- password (argon2id, PHC string); sessions are kept as the SHA-256 of their
-- token, so a leaked table opens nothing. Dossiers learn who took them and
-- the two moments the per-commune indicators need.

CREATE TABLE staff_users (
    id            bigserial PRIMARY KEY,
    username      text NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9._-]{3,32}$'),
    full_name     text NOT NULL CHECK (full_name <> ''),
    password_hash text NOT NULL,
    role          text NOT NULL CHECK (role IN ('staff', 'admin')),
    -- The agency the official acts for; named in the changes they record.
    agency_id     bigint REFERENCES agencies (id),
    disabled      boolean NOT NULL DEFAULT false,
    failed_logins int NOT NULL DEFAULT 0,
    locked_until  timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE staff_sessions (
    token_sha256 bytea PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES staff_users (id) ON DELETE CASCADE,
    csrf_token   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL
);
CREATE INDEX staff_sessions_user ON staff_sessions (user_id);
CREATE INDEX staff_sessions_expiry ON staff_sessions (expires_at);

-- taken_by: the official who took the dossier ("Nhận xử lý").
-- legal_due_at: the appointment the on-time rate is measured against (QĐ
-- 766): it follows supplements and hub decisions but not an apology's new
-- date. result_at: when the result was recorded (device time for a commune
-- event, hub time for a hub change). has_scan: at least one scan arrived
-- with the dossier or a later commune event (result papers do not count).
ALTER TABLE dossiers
    ADD COLUMN taken_by     bigint REFERENCES staff_users (id),
    ADD COLUMN taken_at     timestamptz,
    ADD COLUMN legal_due_at timestamptz,
    ADD COLUMN result_at    timestamptz,
    ADD COLUMN has_scan     boolean NOT NULL DEFAULT false;

UPDATE dossiers d SET
    legal_due_at = coalesce((
        SELECT (e.record ->> 'prev_due_at')::timestamptz FROM events e
        WHERE e.dossier_id = d.id AND e.action = 'apologize_extend' ORDER BY e.ord LIMIT 1), d.due_at),
    result_at = (SELECT min(e.at) FROM events e WHERE e.dossier_id = d.id AND e.to_state = 'result_ready'),
    has_scan = jsonb_path_exists(d.record, '$.components[*].blobs[*]') OR EXISTS (
        SELECT 1 FROM events e WHERE e.dossier_id = d.id AND e.origin = 'commune'
        AND jsonb_path_exists(e.record, '$.components[*].blobs[*]'));

-- The inbox: every commune by due date, with keyset paging on (due_at, id).
CREATE INDEX dossiers_due ON dossiers (due_at, id);
CREATE INDEX dossiers_state_due ON dossiers (state, due_at, id);
