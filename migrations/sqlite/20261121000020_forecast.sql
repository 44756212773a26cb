-- Month-end forecasts on the snapshots, and the "on pace to exceed" status.
-- Lock-step with migrations/postgres/20261121000020_forecast.sql.
--
-- * status gains 'onpace' (projected spend at the end of the billing period >= budget while
--   spend is below the near threshold). Precedence, most urgent first: over (0), near (1),
--   onpace (2), within (3), none (4); status_rank follows it, so existing within/none rows
--   move down one rank.
-- * SQLite cannot change a CHECK constraint in place, so the table is rebuilt (create, copy,
--   drop, rename) with the same columns, the new ones and the same indexes. No foreign key
--   points at it.
-- * The forecast columns are null until a refresh computes a forecast, and then all of
--   projected_total, forecast_method and forecast_days are set together:
--   projected_total   spend at the end of the billing period (exact TEXT, see 20261121000001)
--   crosses_budget_on the day spend reached (already over) or is projected to reach the
--                     budget within the period; null without a budget or when not projected
--   forecast_method   'recent' (average daily increase over the last up to 7 days),
--                     'period' (average since the period start) or 'nousage' (no spend yet)
--   forecast_days     how many days the method's average is based on (0 for 'nousage')
--   projected_key     projected_total x 10^4 rounded, like the other amount keys
--   crossing_key      days from the data's day (the UTC day of lastModified, at the earliest
--                     the billing period's first day) to
--                     crosses_budget_on: <= 0 when already crossed; the dashboard sorts by it
create table customer_snapshots_new (
    customer_id          text primary key not null,
    company_name         text not null,
    search_name          text not null,
    domain               text,
    currency             text not null,
    is_azure_plan        boolean not null,
    total_cost           text not null,
    usd_total_cost       text,
    budget               text,
    percent_used         text,
    status               text not null check (status in ('over', 'near', 'onpace', 'within', 'none')),
    last_modified        text not null,
    billing_period_start text not null,
    fetched_at           text not null,
    total_cost_key       integer not null,
    budget_key           integer,
    percent_key          integer,
    status_rank          integer not null,
    fetched_key          integer not null,
    projected_total      text,
    crosses_budget_on    text,
    forecast_method      text check (forecast_method in ('recent', 'period', 'nousage')),
    forecast_days        integer,
    projected_key        integer,
    crossing_key         integer,
    check ((projected_total is null) = (forecast_method is null)
           and (projected_total is null) = (forecast_days is null)
           and (projected_total is null) = (projected_key is null)
           and (crosses_budget_on is null) = (crossing_key is null))
);

insert into customer_snapshots_new (customer_id, company_name, search_name, domain, currency,
    is_azure_plan, total_cost, usd_total_cost, budget, percent_used, status, last_modified,
    billing_period_start, fetched_at, total_cost_key, budget_key, percent_key, status_rank,
    fetched_key)
select customer_id, company_name, search_name, domain, currency, is_azure_plan, total_cost,
    usd_total_cost, budget, percent_used, status, last_modified, billing_period_start,
    fetched_at, total_cost_key, budget_key, percent_key,
    case status when 'over' then 0 when 'near' then 1 when 'within' then 3 else 4 end,
    fetched_key
from customer_snapshots;

drop table customer_snapshots;
alter table customer_snapshots_new rename to customer_snapshots;

create index customer_snapshots_by_name on customer_snapshots (search_name, customer_id);
create index customer_snapshots_by_spend on customer_snapshots (total_cost_key, search_name, customer_id);
create index customer_snapshots_by_budget on customer_snapshots (budget_key, search_name, customer_id);
create index customer_snapshots_by_percent on customer_snapshots (percent_key, search_name, customer_id);
create index customer_snapshots_by_status on customer_snapshots (status_rank, search_name, customer_id);
create index customer_snapshots_by_currency on customer_snapshots (currency, search_name, customer_id);
create index customer_snapshots_by_age on customer_snapshots (fetched_key, search_name, customer_id);
create index customer_snapshots_by_projected on customer_snapshots (projected_key, search_name, customer_id);
create index customer_snapshots_by_crossing on customer_snapshots (crossing_key, search_name, customer_id);
create index customer_snapshots_status on customer_snapshots (status);

-- The partner refresh reads every customer's days of the current billing period at once to
-- forecast them; the primary key (customer_id, day) cannot serve a range of days alone.
create index daily_usage_by_day on daily_usage (day);
