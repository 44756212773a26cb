-- The partner-wide view: one row per customer, rebuilt by every refresh from
-- GET /v1/customers/usagerecords and the customer list. Pages read only this table.
--
-- Kept in lock-step with migrations/sqlite (same tables, columns and meaning).
-- PostgreSQL specifics:
-- * Amounts are NUMERIC without a declared precision. Partner Center sends .NET decimals
--   such as 120.5682999999995904716 (22 digits, 19 after the point); any NUMERIC(p, s) with
--   p <= 28 (rust_decimal's limit) would have to round either large amounts or long
--   fractions. Every value is written from a rust_decimal (<= 28 digits), so every value
--   reads back into one exactly, with its scale.
-- * The *_key columns hold integers computed in Rust at write time, identical to SQLite's,
--   used only in ORDER BY, so both databases order rows the same way: amount keys = amount
--   x 10^4 rounded, percent key = percent x 100, status rank (0 over, 1 near, 2 within,
--   3 none), fetched key = fetched_at in microseconds.
-- * search_name is the company name lower-cased in Rust, compared with LIKE (case-sensitive
--   here, so the lower-casing is what makes the search case-insensitive). Its collation is
--   "C" (code point order), as are the id and currency columns, so sorting gives the same
--   order as SQLite's BINARY comparison.
create table customer_snapshots (
    customer_id          text collate "C" primary key not null, -- tenant GUID, lower-case hyphenated
    company_name         text not null,
    search_name          text collate "C" not null,
    domain               text,
    currency             text collate "C" not null, -- ISO 4217, upper case
    is_azure_plan        boolean not null,
    total_cost           numeric not null,
    usd_total_cost       numeric,
    budget               numeric,                   -- null: no budget set
    percent_used         numeric,                   -- null: no budget (or a budget of 0)
    status               text not null check (status in ('over', 'near', 'within', 'none')),
    last_modified        timestamptz not null,      -- Partner Center lastModifiedDate
    billing_period_start date not null,
    fetched_at           timestamptz not null,      -- when Spendboard read it
    total_cost_key       bigint not null,
    budget_key           bigint,
    percent_key          bigint,
    status_rank          bigint not null,
    fetched_key          bigint not null
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
