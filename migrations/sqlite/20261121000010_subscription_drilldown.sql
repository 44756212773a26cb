-- A subscription's drill-down (the subscription page and its CSV exports), per customer and
-- subscription. Lock-step with migrations/postgres. Amounts are exact TEXT and *_key columns
-- integer sort keys (see 20261121000001); timestamps RFC 3339 TEXT, days YYYY-MM-DD.
--
-- Fetched when the subscription page is first opened and again when stale; every fetch
-- replaces what the previous one stored (Partner Center's numbers are period-to-date, so
-- older reads are of no further use: the daily history per customer is daily_usage).

-- The SubscriptionUsageSummary (GET .../subscriptions/{id}/usagesummary), one row per
-- subscription (for an Azure plan: per plan). Upserted, never deleted by a fetch, so the
-- detail rows below can hang off it.
create table subscription_usage_summary (
    customer_id            text not null, -- tenant GUID, lower-case hyphenated
    subscription_id        text not null, -- GUID, lower-case hyphenated (the plan id for an Azure plan)
    name                   text not null, -- resourceName, e.g. 'Azure plan'
    is_legacy              boolean not null, -- MS-AZR-0145P: has daily utilization records
    billing_start          text not null,
    billing_end            text not null, -- exclusive
    total_cost             text not null,
    currency               text not null, -- ISO 4217
    usd_total_cost         text,
    last_modified          text not null, -- Partner Center lastModifiedDate
    fetched_at             text not null, -- when Spendboard read the summary, resources and meters
    -- When the daily utilization below was last read in full; null: never (not ready yet,
    -- or an Azure plan, which has none). Kept when a later read of it fails.
    utilization_fetched_at text,
    primary key (customer_id, subscription_id)
);

-- ResourceUsageRecords (GET .../resourceusagerecords): spend per Azure resource, with its
-- entitlement (the Azure subscription under a plan). Replaced in the same transaction as
-- the summary's fetched_at, which dates them. position keeps Partner Center's order and
-- tells apart records that carry no URI. Optional fields stay null when not given.
create table resource_usage (
    customer_id      text not null,
    subscription_id  text not null,
    position         integer not null,
    entitlement_id   text,
    entitlement_name text,
    resource_group   text,
    resource_type    text,
    resource_uri     text,
    resource_name    text,
    total_cost       text not null,
    usd_total_cost   text,
    currency         text not null,
    last_modified    text not null,
    total_cost_key   integer not null,
    primary key (customer_id, subscription_id, position),
    foreign key (customer_id, subscription_id)
        references subscription_usage_summary (customer_id, subscription_id) on delete cascade
);

-- Top resources by cost are read in this order.
create index resource_usage_by_cost
    on resource_usage (customer_id, subscription_id, total_cost_key, position);

-- MeterUsageRecords (GET .../meterusagerecords): quantity and spend per meter, summed over
-- the whole subscription or plan. Replaced with the summary, like resource_usage.
create table meter_usage (
    customer_id     text not null,
    subscription_id text not null,
    position        integer not null,
    meter_id        text,
    meter_name      text,
    category        text,
    subcategory     text,
    quantity        text,          -- exact decimal, in unit; null when not given
    unit            text,
    total_cost      text not null,
    usd_total_cost  text,
    currency        text not null,
    last_modified   text not null,
    total_cost_key  integer not null,
    primary key (customer_id, subscription_id, position),
    foreign key (customer_id, subscription_id)
        references subscription_usage_summary (customer_id, subscription_id) on delete cascade
);

-- Daily AzureUtilizationRecords of a legacy subscription (GET .../utilizations/azure,
-- granularity daily, the current billing period, every page): unrated quantities per meter,
-- resource and day. Replaced as a whole when a read of every page succeeds; a failed read
-- leaves the previous rows. resource_group and resource_name are taken from the instance
-- data's resourceUri at write time; tags is a JSON object of strings ('{}' when none).
create table azure_utilization (
    customer_id     text not null,
    subscription_id text not null,
    position        integer not null,
    day             text not null, -- UTC date of usage_start
    usage_start     text not null,
    usage_end       text not null,
    meter_id        text not null,
    meter_name      text,
    category        text,
    subcategory     text,
    region          text,
    quantity        text not null,
    unit            text,
    resource_uri    text,
    resource_group  text,
    resource_name   text,
    tags            text not null,
    primary key (customer_id, subscription_id, position),
    foreign key (customer_id, subscription_id)
        references subscription_usage_summary (customer_id, subscription_id) on delete cascade
);
