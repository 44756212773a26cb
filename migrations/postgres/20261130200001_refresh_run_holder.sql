-- Refresh runs belong to a lease. Lock-step with migrations/sqlite.

-- The lease holder (unique per run) that works on a run. A running run whose holder no
-- longer holds an unexpired lease of its scope was abandoned (its instance crashed or lost
-- the database): it is marked failed and a new run may start at once. Runs recorded before
-- this column existed have none, and count as abandoned when still running.
alter table refresh_runs add column holder text;

-- Records of the run that could not be read and were set aside (logged, counted, shown)
-- instead of failing the others.
alter table refresh_runs add column set_aside bigint not null default 0;
