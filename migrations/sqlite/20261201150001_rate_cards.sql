-- The Azure rate card (GET /v1/ratecards/azure), one per currency the partner's customers
-- use. Lock-step with migrations/postgres.
--
-- A currency keeps two versions: the current one and the previous one (the one before its
-- last price change), so the price explorer can mark changed prices with old and new. A
-- read that finds the same prices as the current version stores no new version; it only
-- moves checked_at.
create table rate_cards (
    id          text primary key not null,  -- random GUID
    currency    text not null,              -- ISO 4217, upper-case
    version     bigint not null,            -- 1, 2, ... per currency: the highest is current
    locale      text not null,              -- language of the names, e.g. en
    fingerprint text not null,              -- SHA-256 (hex) of the meters as stored, to tell a changed card
    meter_count bigint not null,
    categories  text not null,              -- JSON array of the meters' categories, sorted (search filters)
    regions     text not null,              -- JSON array of the meters' regions, sorted
    read_at     text not null,              -- UTC: when this version was first read
    checked_at  text not null               -- UTC: when Partner Center last gave these prices
);

create unique index rate_cards_by_currency on rate_cards (currency, version);

-- The meters of one version. rates: JSON array of [tier threshold (units), unit price] pairs
-- as normalised decimal strings, thresholds ascending, e.g. [["0","0.087"],["10240","0.083"]];
-- two versions' rates of a meter compare equal as text exactly when the prices are equal.
create table rate_card_meters (
    card_id           text not null references rate_cards (id) on delete cascade,
    meter_id          text not null,         -- meter GUID, lower-case
    name              text not null,
    category          text not null,
    subcategory       text not null,
    region            text not null,
    unit              text not null,
    rates             text not null,
    included_quantity text not null,         -- exact decimal, units per billing period
    effective_date    text,                  -- UTC, when these rates took effect
    search_text       text not null,         -- name, category, subcategory, region: lower-case, accents removed
    primary key (card_id, meter_id)
);

-- The explorer's order: a page is read from the index without sorting the card.
create index rate_card_meters_by_name on rate_card_meters (card_id, name, subcategory, region, meter_id);

-- The last attempt to read each currency's rate card, to say when it failed and why while
-- the last good version stays in use.
create table rate_card_attempts (
    currency     text primary key not null,
    attempted_at text not null,              -- UTC
    error        text                        -- null when the attempt succeeded
);
