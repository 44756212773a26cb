-- Signed-in users and their Partner Center tokens. Lock-step with migrations/sqlite.

-- Users as their last ID token described them.
create table users (
    id           text primary key not null, -- Entra object id (oid)
    tenant_id    text not null,
    name         text not null,
    email        text,
    roles        text not null,             -- JSON array of role names, e.g. ["reader"]
    signed_in_at timestamptz not null
);

create index users_by_sign_in on users (signed_in_at);

-- The delegated Partner Center tokens of a user, encrypted by the application before they
-- get here (this table only ever sees ciphertext). One row per user; deleted with the user.
create table user_tokens (
    user_id       text primary key not null references users (id) on delete cascade,
    access_token  bytea not null,
    refresh_token bytea,
    expires_at    timestamptz not null,
    updated_at    timestamptz not null
);
