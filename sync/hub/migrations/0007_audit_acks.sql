-- 0007: a person's acknowledgement of a device's audit conflicts (the staff
-- web UI, admins only): who, when, and a short note of what they found. An
-- acknowledgement covers the conflicts the device had when it was made
-- (conflicts = their count; audit_conflicts rows are never deleted, so a new
-- conflicting entry makes the count larger and the device unacknowledged
-- again). The conflicts themselves stay in audit_conflicts, and every
-- acknowledgement stays here: the history is kept whole.
CREATE TABLE audit_conflict_acks (
    id             bigserial PRIMARY KEY,
    device_id      text   NOT NULL REFERENCES devices (id),
    conflicts      int    NOT NULL CHECK (conflicts >= 1),
    first_seq      bigint NOT NULL CHECK (first_seq >= 1), -- the lowest conflicting entry then
    note           text   NOT NULL CHECK (length(btrim(note)) BETWEEN 1 AND 500),
    -- The official as they were: a later rename does not rewrite who acknowledged.
    staff_id       bigint NOT NULL REFERENCES staff_users (id),
    staff_username text   NOT NULL,
    staff_name     text   NOT NULL,
    acked_at       timestamptz NOT NULL,
    -- One acknowledgement per state of the conflicts: a double submit records once.
    UNIQUE (device_id, conflicts)
);

-- Append-only: an acknowledgement cannot be edited or removed through the
-- hub's database role without dropping this trigger first (which a schema
-- change would show), so nobody quietly rewrites who accepted what.
CREATE FUNCTION audit_conflict_acks_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_conflict_acks is append-only (% refused)', TG_OP;
END
$$;
CREATE TRIGGER audit_conflict_acks_no_update BEFORE UPDATE OR DELETE ON audit_conflict_acks
    FOR EACH ROW EXECUTE FUNCTION audit_conflict_acks_append_only();
CREATE TRIGGER audit_conflict_acks_no_truncate BEFORE TRUNCATE ON audit_conflict_acks
    FOR EACH STATEMENT EXECUTE FUNCTION audit_conflict_acks_append_only();
