-- Refresh coordination. Lock-step with migrations/sqlite.

-- Single-flight across instances: at most one holder per scope (e.g. 'partner' or
-- 'customer:<id>') until expires_at. Taken with one INSERT ... ON CONFLICT DO UPDATE ...
-- WHERE expired, which is atomic on both databases.
create table refresh_leases (
    scope       text primary key not null,
    holder      text not null, -- instance id + task, for logs
    acquired_at timestamptz not null,
    expires_at  timestamptz not null
);

-- Refresh runs, for the progress shown to users and for operators.
create table refresh_runs (
    id          bigint generated always as identity primary key,
    scope       text not null,
    started_at  timestamptz not null,
    finished_at timestamptz,
    state       text not null check (state in ('running', 'succeeded', 'failed')),
    done        bigint not null default 0,
    total       bigint not null default 0,
    message     text
);

create index refresh_runs_by_scope on refresh_runs (scope, id);
