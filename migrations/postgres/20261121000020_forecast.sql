-- Month-end forecasts on the snapshots, and the "on pace to exceed" status.
-- Lock-step with migrations/sqlite/20261121000020_forecast.sql.
--
-- * status gains 'onpace' (projected spend at the end of the billing period >= budget while
--   spend is below the near threshold). Precedence, most urgent first: over (0), near (1),
--   onpace (2), within (3), none (4); status_rank follows it, so existing within/none rows
--   move down one rank.
-- * The forecast columns are null until a refresh computes a forecast, and then all of
--   projected_total, forecast_method and forecast_days are set together:
--   projected_total   spend at the end of the billing period (exact NUMERIC, see 20261121000001)
--   crosses_budget_on the day spend reached (already over) or is projected to reach the
--                     budget within the period; null without a budget or when not projected
--   forecast_method   'recent' (average daily increase over the last up to 7 days),
--                     'period' (average since the period start) or 'nousage' (no spend yet)
--   forecast_days     how many days the method's average is based on (0 for 'nousage')
--   projected_key     projected_total x 10^4 rounded, like the other amount keys
--   crossing_key      days from the data's day (the UTC day of lastModified, at the earliest
--                     the billing period's first day) to
--                     crosses_budget_on: <= 0 when already crossed; the dashboard sorts by it
alter table customer_snapshots drop constraint customer_snapshots_status_check;
alter table customer_snapshots add constraint customer_snapshots_status_check
    check (status in ('over', 'near', 'onpace', 'within', 'none'));
update customer_snapshots
    set status_rank = case status when 'over' then 0 when 'near' then 1 when 'within' then 3 else 4 end;

alter table customer_snapshots
    add column projected_total   numeric,
    add column crosses_budget_on date,
    add column forecast_method   text collate "C" check (forecast_method in ('recent', 'period', 'nousage')),
    add column forecast_days     bigint,
    add column projected_key     bigint,
    add column crossing_key      bigint,
    add constraint customer_snapshots_forecast_check
        check ((projected_total is null) = (forecast_method is null)
               and (projected_total is null) = (forecast_days is null)
               and (projected_total is null) = (projected_key is null)
               and (crosses_budget_on is null) = (crossing_key is null));

create index customer_snapshots_by_projected on customer_snapshots (projected_key, search_name, customer_id);
create index customer_snapshots_by_crossing on customer_snapshots (crossing_key, search_name, customer_id);

-- The partner refresh reads every customer's days of the current billing period at once to
-- forecast them; the primary key (customer_id, day) cannot serve a range of days alone.
create index daily_usage_by_day on daily_usage (day);
