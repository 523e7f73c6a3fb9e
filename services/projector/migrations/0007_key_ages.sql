-- Long-term key ages: keys may be Expired; the expiry that applies to a key and its rotation
-- due instant (80 % of the allowed age), and keys being rotated (`iamlog keys rotate`). The
-- scheduler's due work for keys is read from here. Runs with search_path set.

ALTER TABLE access_keys DROP CONSTRAINT access_keys_status_check,
    ADD CONSTRAINT access_keys_status_check CHECK (status IN ('Active', 'Inactive', 'Expired'));

CREATE TABLE access_key_schedule (
    access_key_id    text PRIMARY KEY,
    account_id       text NOT NULL,
    expires_at       timestamptz NOT NULL,
    rotation_due_at  timestamptz NOT NULL,
    rotation_noted   boolean NOT NULL          -- iamlog.access_key.rotation_due emitted
);
CREATE INDEX access_key_schedule_expiry ON access_key_schedule (expires_at);
CREATE INDEX access_key_schedule_due ON access_key_schedule (rotation_due_at)
    WHERE NOT rotation_noted;

-- The old key of a rotation: disabled at disable_at, deleted at delete_at (the row goes with
-- the key).
CREATE TABLE access_key_rotations (
    access_key_id      text PRIMARY KEY,
    account_id         text NOT NULL,
    new_access_key_id  text NOT NULL,
    disable_at         timestamptz NOT NULL,
    delete_at          timestamptz NOT NULL
);
CREATE INDEX access_key_rotations_disable ON access_key_rotations (disable_at);
CREATE INDEX access_key_rotations_delete ON access_key_rotations (delete_at);
