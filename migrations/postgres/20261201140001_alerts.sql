-- Budget alerts: threshold rules, the thresholds that fired, and the outbox of their
-- deliveries. Lock-step with migrations/sqlite.

-- A threshold: a percentage of the budget on actual spend or on the month-end projection.
-- scope '*' is the partner-wide set; a customer id is that customer's own set, which
-- replaces the partner-wide one for the customer. At most one rule per scope, basis and
-- percentage (a duplicate is refused by the key, not stored twice).
create table alert_rules (
    id         bigint generated always as identity primary key,
    scope      text not null,     -- '*' or a customer id (lower-case GUID)
    basis      text not null check (basis in ('actual', 'forecast')),
    percent    integer not null check (percent between 1 and 1000),
    created_by text not null,     -- user id, or 'default' for the rows below
    created_at timestamptz not null,
    unique (scope, basis, percent)
);

-- The partner-wide defaults: 80 % and 100 % of actual spend, 100 % of the projection.
insert into alert_rules (scope, basis, percent, created_by, created_at) values
    ('*', 'actual', 80, 'default', '2026-12-01T00:00:00+00:00'),
    ('*', 'actual', 100, 'default', '2026-12-01T00:00:00+00:00'),
    ('*', 'forecast', 100, 'default', '2026-12-01T00:00:00+00:00');

-- A threshold crossed: once per customer, basis, percentage, billing period and budget. The
-- unique key is the de-duplication: whichever instance or restart evaluates the crossing
-- again inserts nothing, so nothing is sent twice; a raised budget is a new key, and fires
-- again once crossed anew. budget_key is the budget normalized (no trailing zeros), so
-- 1000 and 1000.00 are one key on both databases.
create table alert_firings (
    id                   bigint generated always as identity primary key,
    customer_id          text not null,
    customer_name        text not null,   -- copied: the customer may leave
    basis                text not null check (basis in ('actual', 'forecast')),
    percent              integer not null,
    billing_period_start date not null,   -- the first day of the billing period (UTC date)
    budget_key           text not null,
    budget               numeric not null, -- exact decimal, in currency
    currency             text not null,
    spend                numeric not null,  -- spend of the period so far at the crossing
    projected            numeric,          -- the month-end projection, when known
    forecast_method      text,            -- how the projection was made, in words
    fired_at             timestamptz not null,
    unique (customer_id, basis, percent, billing_period_start, budget_key)
);

create index alert_firings_by_time on alert_firings (fired_at, id);

-- One delivery of a fired threshold (or of a daily digest): an e-mail to one recipient, or
-- the incoming webhook.
-- Written in the transaction that records the firing, so a firing is never without its
-- deliveries. A sender claims due rows by setting lease_holder and lease_until in one
-- UPDATE (PostgreSQL skips rows locked by another instance); a row leased to someone else
-- and not expired is never claimed, so no two instances send the same message.
create table alert_outbox (
    id              bigint generated always as identity primary key,
    firing_id       bigint references alert_firings (id), -- null: a digest (see digests)
    channel         text not null check (channel in ('email', 'webhook')),
    recipient       text not null,    -- an e-mail address; 'webhook' for the webhook
    subject         text not null,
    body_text       text not null,
    body_html       text not null,
    state           text not null check (state in ('pending', 'sent')),
    attempts        integer not null default 0,
    next_attempt_at timestamptz not null,   -- not tried again before this (backoff)
    lease_holder    text,
    lease_until     timestamptz,
    last_error      text,
    sent_at         timestamptz,
    transport       text,             -- what took it: 'smtp', 'catcher' (kept in Spendboard), 'webhook'
    created_at      timestamptz not null,
    unique (firing_id, channel, recipient)
);

create index alert_outbox_due on alert_outbox (state, next_attempt_at, id);

-- Every delivery attempt, kept.
create table alert_attempts (
    id           bigint generated always as identity primary key,
    outbox_id    bigint not null references alert_outbox (id),
    attempted_at timestamptz not null,
    succeeded    boolean not null,
    detail       text not null         -- the server's answer or the error
);

create index alert_attempts_by_outbox on alert_attempts (outbox_id, id);
