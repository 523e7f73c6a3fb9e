-- Read models of accounts, users and access keys, and the projector's checkpoint.
-- Runs with search_path set to the read-model schema (live or a rebuild's), so names are
-- unqualified. No column holds a secret, a salt or any key material.

CREATE TABLE accounts (
    account_id   text PRIMARY KEY,
    root_arn     text NOT NULL,
    created_at   timestamptz NOT NULL,
    version      bigint NOT NULL            -- sequence of the account's last projected event
);

CREATE TABLE users (
    account_id   text NOT NULL,
    name_key     text NOT NULL,             -- lower(user_name): names are unique ignoring case
    user_name    text NOT NULL,
    user_id      text NOT NULL UNIQUE,
    path         text NOT NULL,
    arn          text NOT NULL,
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (account_id, name_key)
);

CREATE TABLE access_keys (
    access_key_id      text PRIMARY KEY,
    account_id         text NOT NULL,
    user_name          text,                -- NULL: the account's root user
    owner_arn          text NOT NULL,
    status             text NOT NULL CHECK (status IN ('Active', 'Inactive')),
    created_at         timestamptz NOT NULL
);
CREATE INDEX access_keys_owner ON access_keys (account_id, user_name);

CREATE TABLE checkpoints (
    topic        text NOT NULL,
    partition    integer NOT NULL,
    next_offset  bigint NOT NULL,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (topic, partition)
);
