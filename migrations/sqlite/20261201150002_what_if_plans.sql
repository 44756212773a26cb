-- What-if plans: named sets of planned usage per customer, saved to be reopened. Lock-step
-- with migrations/postgres.
create table what_if_plans (
    id          text primary key not null,  -- random GUID
    customer_id text not null,              -- Partner Center customer id (tenant GUID, lower-case)
    name        text not null,
    saved_by    text not null,              -- user id
    saved_at    text not null,              -- UTC
    unique (customer_id, name)              -- saving under an existing name replaces that plan
);

-- One planned usage of a meter. The meter is named by its rate card id and kept with its
-- name and region as seen when saved, so a plan still reads well if the meter leaves the card.
create table what_if_lines (
    plan_id       text not null references what_if_plans (id) on delete cascade,
    position      integer not null,         -- 0, 1, ... in the plan's order
    meter_id      text not null,
    meter_label   text not null,            -- e.g. "D4s v3 (EU West)"
    kind          text not null check (kind in ('day', 'month', 'instances')),
    quantity      text not null,            -- units per day or per month, or instances: exact decimal
    hours_per_day text,                     -- instances only: exact decimal
    start_date    text not null,            -- first UTC day, yyyy-mm-dd
    primary key (plan_id, position)
);
