-- The partner-wide view: one row per customer, rebuilt by every refresh from
-- GET /v1/customers/usagerecords and the customer list. Pages read only this table.
--
-- Kept in lock-step with migrations/postgres (same tables, columns and meaning).
-- SQLite specifics:
-- * Amounts are TEXT holding rust_decimal's exact string (e.g. 120.5682999999995904716):
--   a NUMERIC or REAL column would round them to f64.
-- * Because TEXT does not sort numerically ('10' < '9'), the *_key columns hold integers
--   computed in Rust at write time, identical on both databases, used only in ORDER BY:
--   amount keys = amount x 10^4 rounded, percent key = percent x 100, status rank
--   (0 over, 1 near, 2 within, 3 none), fetched key = fetched_at in microseconds.
-- * Timestamps are TEXT in RFC 3339 (UTC, +00:00), days are TEXT YYYY-MM-DD.
-- * search_name is the company name lower-cased in Rust (Unicode rules); searching compares
--   it with LIKE against a lower-cased pattern, so both databases match the same rows.
create table customer_snapshots (
    customer_id          text primary key not null, -- tenant GUID, lower-case hyphenated
    company_name         text not null,
    search_name          text not null,
    domain               text,
    currency             text not null,             -- ISO 4217, upper case
    is_azure_plan        boolean not null,
    total_cost           text not null,
    usd_total_cost       text,
    budget               text,                      -- null: no budget set
    percent_used         text,                      -- null: no budget (or a budget of 0)
    status               text not null check (status in ('over', 'near', 'within', 'none')),
    last_modified        text not null,             -- Partner Center lastModifiedDate
    billing_period_start text not null,
    fetched_at           text not null,             -- when Spendboard read it
    total_cost_key       integer not null,
    budget_key           integer,
    percent_key          integer,
    status_rank          integer not null,
    fetched_key          integer not null
);

-- One index per sortable column, ending with the tie-breakers (name, then id) so a page of
-- the dashboard is read in index order even at 10,000 customers.
create index customer_snapshots_by_name on customer_snapshots (search_name, customer_id);
create index customer_snapshots_by_spend on customer_snapshots (total_cost_key, search_name, customer_id);
create index customer_snapshots_by_budget on customer_snapshots (budget_key, search_name, customer_id);
create index customer_snapshots_by_percent on customer_snapshots (percent_key, search_name, customer_id);
create index customer_snapshots_by_status on customer_snapshots (status_rank, search_name, customer_id);
create index customer_snapshots_by_currency on customer_snapshots (currency, search_name, customer_id);
create index customer_snapshots_by_age on customer_snapshots (fetched_key, search_name, customer_id);
-- The status filter of the dashboard.
create index customer_snapshots_status on customer_snapshots (status);
