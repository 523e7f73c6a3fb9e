-- Read models of instance profiles (the profile, the role it holds, its tags) and of workload
-- bindings. Runs with search_path set to the read-model schema. Nothing secret is here: a
-- binding's token digest stays on the log and in memory, and sessions are the scheduler's.

CREATE TABLE instance_profiles (
    profile_id   text PRIMARY KEY,
    account_id   text NOT NULL,
    name_key     text NOT NULL,             -- lower(profile_name): unique ignoring case
    profile_name text NOT NULL,
    path         text NOT NULL,
    arn          text NOT NULL,
    created_at   timestamptz NOT NULL,
    UNIQUE (account_id, name_key)
);

CREATE TABLE instance_profile_roles (
    profile_id   text PRIMARY KEY,          -- one role per profile at most
    account_id   text NOT NULL,
    role_id      text NOT NULL
);
CREATE INDEX instance_profile_roles_role ON instance_profile_roles (role_id);

CREATE TABLE instance_profile_tags (
    profile_id   text NOT NULL,
    key_lower    text NOT NULL,
    account_id   text NOT NULL,
    tag_key      text NOT NULL,
    tag_value    text NOT NULL,
    PRIMARY KEY (profile_id, key_lower)
);

CREATE TABLE workloads (
    account_id   text NOT NULL,
    name_key     text NOT NULL,             -- lower(workload)
    workload     text NOT NULL,
    profile_id   text NOT NULL,
    bound_at     timestamptz NOT NULL,
    PRIMARY KEY (account_id, name_key)
);
CREATE INDEX workloads_profile ON workloads (profile_id);
