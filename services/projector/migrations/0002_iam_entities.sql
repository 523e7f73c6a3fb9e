-- Read models of groups, managed and inline policies, permissions boundaries, user tags and
-- access key last use. Runs with search_path set to the read-model schema. Entities refer to
-- each other by their unique ids (AIDA…, AGPA…, ANPA…), which never change or come back, so a
-- renamed user keeps its rows. Policy documents are not secrets; no column holds one.

ALTER TABLE access_keys
    ADD COLUMN last_used_date     timestamptz,   -- NULL: never used (AWS answers N/A)
    ADD COLUMN last_used_service  text,
    ADD COLUMN last_used_region   text;

CREATE TABLE user_tags (
    user_id      text NOT NULL,
    key_lower    text NOT NULL,             -- tag keys are unique ignoring case
    account_id   text NOT NULL,
    tag_key      text NOT NULL,
    tag_value    text NOT NULL,
    PRIMARY KEY (user_id, key_lower)
);

CREATE TABLE groups (
    group_id     text PRIMARY KEY,
    account_id   text NOT NULL,
    name_key     text NOT NULL,             -- lower(group_name)
    group_name   text NOT NULL,
    path         text NOT NULL,
    arn          text NOT NULL,
    created_at   timestamptz NOT NULL,
    UNIQUE (account_id, name_key)
);

CREATE TABLE group_members (
    group_id     text NOT NULL,
    user_id      text NOT NULL,
    account_id   text NOT NULL,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user ON group_members (user_id);

CREATE TABLE policies (
    policy_id    text PRIMARY KEY,
    account_id   text NOT NULL,
    name_key     text NOT NULL,             -- lower(policy_name): unique ignoring case and path
    policy_name  text NOT NULL,
    path         text NOT NULL,
    arn          text NOT NULL,
    description  text,
    created_at   timestamptz NOT NULL,
    UNIQUE (account_id, name_key)
);
CREATE INDEX policies_arn ON policies (arn);

CREATE TABLE policy_versions (
    policy_id    text NOT NULL,
    version_id   text NOT NULL,
    account_id   text NOT NULL,
    document     text NOT NULL,             -- as submitted
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (policy_id, version_id)
);

CREATE TABLE policy_defaults (
    policy_id    text PRIMARY KEY,
    version_id   text NOT NULL
);

CREATE TABLE policy_attachments (
    policy_id    text NOT NULL,
    entity_type  text NOT NULL CHECK (entity_type IN ('user', 'group')),
    entity_id    text NOT NULL,
    account_id   text NOT NULL,
    PRIMARY KEY (policy_id, entity_type, entity_id)
);
CREATE INDEX policy_attachments_entity ON policy_attachments (entity_id);

CREATE TABLE inline_policies (
    entity_type  text NOT NULL CHECK (entity_type IN ('user', 'group')),
    entity_id    text NOT NULL,
    name_key     text NOT NULL,             -- lower(policy_name)
    account_id   text NOT NULL,
    policy_name  text NOT NULL,
    document     text NOT NULL,
    PRIMARY KEY (entity_type, entity_id, name_key)
);

CREATE TABLE user_boundaries (
    user_id      text PRIMARY KEY,
    account_id   text NOT NULL,
    policy_id    text NOT NULL,
    policy_arn   text NOT NULL
);
CREATE INDEX user_boundaries_policy ON user_boundaries (policy_id);
