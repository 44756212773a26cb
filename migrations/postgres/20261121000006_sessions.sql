-- Server-side web sessions (actix-session store). Lock-step with migrations/sqlite.
-- Shared by every instance, so signing out deletes the row and ends the session everywhere.
create table sessions (
    session_key text primary key not null, -- 64 random alphanumeric characters
    state       text not null,             -- JSON object of string values
    expires_at  timestamptz not null
);

create index sessions_by_expiry on sessions (expires_at);
