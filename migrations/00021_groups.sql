-- +goose Up
-- Groups (domain/group): their events live in the events table beside the
-- users' (stream = the group id, types group.*), go out through the same
-- outbox and topic, and are projected here inline by the group's command,
-- as users are into users.
CREATE TABLE groups (
    id            uuid NOT NULL,
    tenant_id     uuid NOT NULL REFERENCES tenants (id),
    display_name  text NOT NULL,
    external_id   text,
    deleted       boolean NOT NULL DEFAULT false,
    version       integer NOT NULL,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    CONSTRAINT groups_pkey PRIMARY KEY (id)
);
CREATE UNIQUE INDEX groups_tenant_external_id_key ON groups (tenant_id, external_id) WHERE NOT deleted;
CREATE INDEX groups_tenant_created_idx ON groups (tenant_id, created_at, id) WHERE NOT deleted;
CREATE INDEX groups_tenant_display_name_idx ON groups (tenant_id, lower(display_name)) WHERE NOT deleted;

-- Memberships. No foreign key to users: a rebuild of users deletes and
-- re-inserts rows; a member's existence is checked by the command, and
-- reads leave out members who were deleted since.
CREATE TABLE group_members (
    tenant_id  uuid NOT NULL,
    group_id   uuid NOT NULL REFERENCES groups (id),
    user_id    uuid NOT NULL,
    CONSTRAINT group_members_pkey PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user_idx ON group_members (tenant_id, user_id);

-- +goose Down
DROP TABLE group_members, groups;
