-- Sessions of every kind (GetSessionToken, AssumeRole, federation, workload) and their state;
-- the scheduler's due work is read from here. Runs with search_path set to the read-model
-- schema. A session's token, secret and salt are never stored: only its ids and times.

CREATE TABLE sessions (
    session_id      text PRIMARY KEY,
    account_id      text NOT NULL,            -- where the session is recorded
    kind            text NOT NULL,            -- session_token, assumed_role, federated_user, workload
    principal_arn   text NOT NULL,
    role_arn        text,                     -- role and workload sessions
    workload        text,                     -- workload sessions
    profile         text,                     -- workload sessions: the instance profile
    session_key_id  text NOT NULL,            -- ASIA…
    issued_at       timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL,
    -- workload sessions: when the scheduler renews it (issued_at + lifetime × (0.5 ± 0.05),
    -- the jitter derived from the session id); NULL once renewed or ended, and for other kinds
    renew_at        timestamptz,
    renewed_by      text,                     -- the session that replaced it
    state           text NOT NULL CHECK (state IN ('active', 'expired', 'revoked')),
    ended_at        timestamptz,              -- the expiration, or when it was revoked
    end_reason      text
);
CREATE INDEX sessions_expiry_due ON sessions (expires_at) WHERE state = 'active';
CREATE INDEX sessions_renewal_due ON sessions (renew_at)
    WHERE state = 'active' AND renew_at IS NOT NULL;
CREATE INDEX sessions_account ON sessions (account_id, state);
CREATE INDEX sessions_role ON sessions (role_arn, state) WHERE role_arn IS NOT NULL;

-- Work a scheduler replica took on (`renew:<session id>`, `expire:<session id>`) until the
-- projector shows it done; another replica skips it meanwhile. Not derived from the log: a
-- rebuild starts it empty, which costs at most a repeated (idempotent) command.
CREATE TABLE scheduler_claims (
    item   text PRIMARY KEY,
    until  timestamptz NOT NULL
);
