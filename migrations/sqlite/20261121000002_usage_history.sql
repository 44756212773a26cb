-- Usage history and per-customer details. Lock-step with migrations/postgres.
-- Amounts are exact TEXT (see 20261121000001), timestamps RFC 3339 TEXT, days YYYY-MM-DD.

-- One row per customer and UTC day: the period-to-date spend as last read that day.
-- Never deleted (Partner Center keeps no history; this is what daily spend and month-end
-- forecasts are drawn from), so no foreign key to customer_snapshots, whose rows go when a
-- customer leaves.
create table daily_usage (
    customer_id          text not null,
    day                  text not null,
    billing_period_start text not null,
    currency             text not null,
    total_cost           text not null,
    fetched_at           text not null,
    primary key (customer_id, day)
);

-- A customer's subscriptions' monthly usage records (customer page), replaced as a whole
-- whenever the customer's subscriptions are read again.
create table subscription_usage (
    customer_id     text not null,
    subscription_id text not null, -- as Partner Center gives it
    name            text not null,
    offer_id        text not null,
    status          text not null,
    total_cost      text not null,
    usd_total_cost  text,
    currency        text not null,
    last_modified   text not null,
    fetched_at      text not null,
    primary key (customer_id, subscription_id)
);

-- The customer's usage summary for the billing period (customer page), one row per customer.
create table customer_usage_summary (
    customer_id    text primary key not null,
    billing_start  text not null,
    billing_end    text not null,
    total_cost     text not null,
    currency       text not null,
    usd_total_cost text,
    budget         text,
    last_modified  text not null,
    fetched_at     text not null
);
