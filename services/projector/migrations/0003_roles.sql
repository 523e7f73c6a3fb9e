-- Read models of IAM roles: the role, its settings, its trust policy, tags and permissions
-- boundary; its attached and inline policies share the tables of users and groups (entity
-- type 'role'). Runs with search_path set to the read-model schema. A role's parts that change
-- on their own (settings, trust policy) are rows of their own, so each event puts whole rows.

CREATE TABLE roles (
    role_id      text PRIMARY KEY,
    account_id   text NOT NULL,
    name_key     text NOT NULL,             -- lower(role_name): names are unique ignoring case
    role_name    text NOT NULL,
    path         text NOT NULL,
    arn          text NOT NULL,
    created_at   timestamptz NOT NULL,
    UNIQUE (account_id, name_key)
);

CREATE TABLE role_settings (
    role_id               text PRIMARY KEY,
    account_id            text NOT NULL,
    description           text,
    max_session_duration  integer NOT NULL
);

CREATE TABLE role_trust_policies (
    role_id      text PRIMARY KEY,
    account_id   text NOT NULL,
    document     text NOT NULL              -- as submitted
);

CREATE TABLE role_tags (
    role_id      text NOT NULL,
    key_lower    text NOT NULL,
    account_id   text NOT NULL,
    tag_key      text NOT NULL,
    tag_value    text NOT NULL,
    PRIMARY KEY (role_id, key_lower)
);

CREATE TABLE role_boundaries (
    role_id      text PRIMARY KEY,
    account_id   text NOT NULL,
    policy_id    text NOT NULL,
    policy_arn   text NOT NULL
);
CREATE INDEX role_boundaries_policy ON role_boundaries (policy_id);

ALTER TABLE policy_attachments DROP CONSTRAINT policy_attachments_entity_type_check,
    ADD CONSTRAINT policy_attachments_entity_type_check
        CHECK (entity_type IN ('user', 'group', 'role'));
ALTER TABLE inline_policies DROP CONSTRAINT inline_policies_entity_type_check,
    ADD CONSTRAINT inline_policies_entity_type_check
        CHECK (entity_type IN ('user', 'group', 'role'));
