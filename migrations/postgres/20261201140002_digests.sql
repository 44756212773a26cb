-- Daily digests per account manager. Lock-step with migrations/sqlite.

-- What an account manager (by sign-in name, as in customer_owners) wants in the digest. No
-- row: the defaults (on, at alerts.digest_hour_utc, every status).
create table digest_preferences (
    owner      text primary key not null,  -- sign-in name, lower-case
    enabled    boolean not null,
    hour_utc   integer not null check (hour_utc between 0 and 23),
    statuses   text not null,              -- comma-separated status keys: over,near,onpace
    updated_at timestamptz not null
);

-- One digest per owner and UTC day, whether or not there was something to say (then nothing
-- is sent): the unique key makes a restart or a second instance build it once.
create table digests (
    id         bigint generated always as identity primary key,
    owner      text not null,
    day        date not null,
    created_at timestamptz not null,
    empty      boolean not null,
    unique (owner, day)
);

-- A digest's e-mail goes through the outbox like an alert's.
alter table alert_outbox add column digest_id bigint references digests (id);
