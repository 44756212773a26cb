-- Which kind of run created this database: 'demo' (no [identity], the sandbox's invented
-- data) or 'production' (signed in with Entra ID). Written by the first start; demo mode
-- refuses a database marked otherwise, and a real start refuses a demo database unless
-- database.adopt_demo_database is set. Lock-step with migrations/postgres.
create table instance_mode (
    id        integer primary key check (id = 1),
    mode      text not null check (mode in ('demo', 'production')),
    marked_at text not null
);
