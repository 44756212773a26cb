-- The signed-in user of each session, kept beside its state so that loading a session also
-- reads that user's current roles (one statement per request instead of two). Null for a
-- session without a signed-in user, and for sessions saved before this column existed (their
-- requests read the roles on their own, as before, until the session is next saved).
alter table sessions add column user_id text;
