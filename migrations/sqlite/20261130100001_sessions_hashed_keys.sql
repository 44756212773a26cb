-- Session rows are now keyed by the SHA-256 (hex) of the cookie's key, not the key itself.
-- Rows stored under raw keys can no longer be found: drop them (people sign in again).
-- Lock-step with migrations/postgres.
delete from sessions;
