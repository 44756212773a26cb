//! The price explorer (`/prices`) and a meter's region comparison: the rate card's meters as
//! display strings. Unit prices keep every digit the rate card gives (they are per unit, not
//! amounts to pay), with the currency beside them.

use askama::Template;
use askama_web::WebTemplate;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::{Layout, format_age, format_utc};
use crate::domain::{Currency, MeterPrice, Money, SubscriptionId};
use crate::prices::{Explorer, MeterRegions, RegionComparison, RegionPrice};
use crate::store::{CustomerSnapshot, FoundMeter, MeterSearch, RateCardVersion};

/// A unit price with every digit the rate card has: `0.087 EUR`.
pub fn unit_price(price: Decimal, currency: &Currency) -> String {
    format!("{} {}", price.normalize(), currency)
}

/// A quantity as typed back: `10240`, `0.5`.
pub fn quantity(value: Decimal) -> String {
    value.normalize().to_string()
}

/// Tiers in words: `0.087 EUR from 0; 0.083 EUR from 10240`.
pub fn tiers_text(price: &MeterPrice, currency: &Currency) -> String {
    price
        .tiers()
        .iter()
        .map(|(from, p)| format!("{} from {}", unit_price(*p, currency), quantity(*from)))
        .collect::<Vec<_>>()
        .join("; ")
}

/// A meter as a row of the price list's CSV export: exact plain decimals, the first tier's
/// price in `price`, every tier in words in `tiers`; the field names are the header.
#[derive(Debug, Default, serde::Serialize)]
pub struct PriceCsvRow {
    meter_id: String,
    name: String,
    category: String,
    subcategory: String,
    region: String,
    unit: String,
    currency: String,
    price: String,
    tiers: String,
    included_quantity: String,
    effective_date: String,
    previous_tiers: String,
}

impl PriceCsvRow {
    /// `found` priced in `currency`.
    pub fn of(found: &FoundMeter, currency: &Currency) -> Self {
        let m = &found.meter;
        Self {
            meter_id: m.meter_id.clone(),
            name: m.name.clone(),
            category: m.category.clone(),
            subcategory: m.subcategory.clone(),
            region: m.region.clone(),
            unit: m.unit.clone(),
            currency: currency.code().to_owned(),
            price: quantity(m.price.base_price()),
            tiers: tiers_text(&m.price, currency),
            included_quantity: quantity(m.price.included()),
            effective_date: m
                .effective_date
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
            previous_tiers: found
                .previous
                .as_ref()
                .map(|p| tiers_text(p, currency))
                .unwrap_or_default(),
        }
    }
}

/// One tier of a meter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TierView {
    /// Threshold in units.
    pub from: String,
    /// Unit price with currency.
    pub price: String,
}

/// One meter of the rate card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeterRowView {
    pub meter_id: String,
    pub name: String,
    pub category: String,
    pub subcategory: String,
    pub region: String,
    pub unit: String,
    pub tiers: Vec<TierView>,
    /// `5` (units free each billing period), or `None` when nothing is included.
    pub included: Option<String>,
    /// `2026-04-01`.
    pub effective: String,
    /// The tiers before the last price change, when the price changed.
    pub previous: Option<String>,
    pub compare_url: String,
}

impl MeterRowView {
    fn new(found: &FoundMeter, currency: &Currency) -> Self {
        let m = &found.meter;
        Self {
            meter_id: m.meter_id.clone(),
            name: m.name.clone(),
            category: m.category.clone(),
            subcategory: m.subcategory.clone(),
            region: m.region.clone(),
            unit: m.unit.clone(),
            tiers: m
                .price
                .tiers()
                .iter()
                .map(|(from, p)| TierView {
                    from: quantity(*from),
                    price: unit_price(*p, currency),
                })
                .collect(),
            included: (m.price.included() > Decimal::ZERO).then(|| quantity(m.price.included())),
            effective: m
                .effective_date
                .map_or_else(|| "not given".into(), |d| d.format("%Y-%m-%d").to_string()),
            previous: found.previous.as_ref().map(|p| {
                let mut text = tiers_text(p, currency);
                if p.included() != m.price.included() {
                    text.push_str(&format!(", {} included", quantity(p.included())));
                }
                text
            }),
            compare_url: crate::paths::meter_regions(currency, &m.meter_id),
        }
    }
}

/// One option of a select.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionView {
    pub value: String,
    pub selected: bool,
}

fn options(values: &[String], selected: &str) -> Vec<OptionView> {
    values
        .iter()
        .map(|v| OptionView {
            value: v.clone(),
            selected: v == selected,
        })
        .collect()
}

/// The rate card shown and how fresh it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardView {
    pub currency: String,
    pub meter_count: u64,
    /// When Partner Center last gave these prices, e.g. `2026-11-30 06:00 UTC`.
    pub checked_at: String,
    /// `3 h ago`.
    pub age: String,
    /// When these prices were first read.
    pub read_at: String,
    /// When the previous version (the one changes are marked against) was read.
    pub previous_read_at: Option<String>,
    /// Which customers the prices describe, in words.
    pub customers: String,
}

/// The price explorer page.
#[derive(Template, WebTemplate)]
#[template(path = "pages/prices.html")]
pub struct PricesPage {
    pub layout: Layout,
    pub currencies: Vec<OptionView>,
    /// Next to the currency field: the currency has no rate card.
    pub currency_error: Option<String>,
    pub text: String,
    pub categories: Vec<OptionView>,
    pub regions: Vec<OptionView>,
    pub changed_only: bool,
    pub card: Option<CardView>,
    /// The last read failed: when and why, and how old the prices shown are.
    pub failure: Option<String>,
    /// No rate card is stored yet and one is being read.
    pub loading: bool,
    pub meters: Vec<MeterRowView>,
    /// `Meters 1 to 50 of 1,204`.
    pub shown: String,
    pub previous_page: Option<String>,
    pub next_page: Option<String>,
    pub csv_url: String,
}

/// How the explorer's query string is written back into links.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExplorerParams {
    pub currency: String,
    pub search: MeterSearch,
}

impl ExplorerParams {
    /// `currency=EUR&q=d4s&category=..&region=..&changed=1&page=2`, only what is set.
    pub fn query(&self, page: Option<u32>) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        let s = &self.search;
        for (key, value) in [
            ("currency", self.currency.as_str()),
            ("q", s.text.as_str()),
            ("category", s.category.as_str()),
            ("region", s.region.as_str()),
        ] {
            if !value.is_empty() {
                query.append_pair(key, value);
            }
        }
        if s.changed_only {
            query.append_pair("changed", "1");
        }
        if let Some(page) = page.filter(|p| *p > 1) {
            query.append_pair("page", &page.to_string());
        }
        query.finish()
    }
}

/// Which customers the prices describe, in words.
fn described_customers(currency: &Currency, (legacy, plan): (u64, u64)) -> String {
    format!(
        "{legacy} legacy (MS-AZR-0145P) customer{} in {currency}: their usage is billed at these list prices. \
         {plan} Azure plan customer{} in {currency}: billed from the Azure plan's own price list, which can differ, \
         so for them these prices are an estimate.",
        if legacy == 1 { "" } else { "s" },
        if plan == 1 { "" } else { "s" },
    )
}

fn card_view(version: &RateCardVersion, customers: (u64, u64), now: DateTime<Utc>) -> CardView {
    CardView {
        currency: version.currency.code().to_owned(),
        meter_count: version.meter_count,
        checked_at: format_utc(version.checked_at),
        age: format_age(version.checked_at, now),
        read_at: format_utc(version.read_at),
        previous_read_at: version.previous.as_ref().map(|(_, at)| format_utc(*at)),
        customers: described_customers(&version.currency, customers),
    }
}

/// The currencies with a rate card, `code` selected.
fn currency_options(explorer: &Explorer, code: &str) -> Vec<OptionView> {
    explorer
        .versions
        .iter()
        .map(|v| OptionView {
            value: v.currency.code().to_owned(),
            selected: v.currency.code() == code,
        })
        .collect()
}

/// The last reading of the rate card that failed, and since when the prices shown stand.
fn failure(explorer: &Explorer, now: DateTime<Utc>) -> Option<String> {
    let selected = explorer.selected.as_ref();
    explorer
        .attempt
        .as_ref()
        .and_then(|a| a.error.as_ref().map(|e| (a.attempted_at, e)))
        .map(|(at, reason)| match selected {
            Some(v) => format!(
                "The last reading of the rate card, at {}, failed: {reason} The prices shown were last confirmed {} ({}).",
                format_utc(at),
                format_utc(v.checked_at),
                format_age(v.checked_at, now)
            ),
            None => format!("Reading the rate card at {} failed: {reason}", format_utc(at)),
        })
}

/// The rows of the meters found, in the selected rate card's currency (none without one).
fn meter_rows(explorer: &Explorer) -> Vec<MeterRowView> {
    let Some(version) = &explorer.selected else {
        return Vec::new();
    };
    explorer
        .page
        .meters
        .iter()
        .map(|m| MeterRowView::new(m, &version.currency))
        .collect()
}

/// Which meters the page shows (`first` of them before it, `last` up to its end), in words.
fn shown(first: u64, last: u64, total: u64) -> String {
    if total == 0 {
        "No meter matches.".into()
    } else {
        format!("Meters {} to {last} of {total}.", first + 1)
    }
}

impl PricesPage {
    /// The page for `explorer`'s data, searched with `params`, showing page `page` of
    /// `page_size` meters; `loading` when a read of the rate cards was started.
    pub fn new(
        layout: Layout,
        explorer: &Explorer,
        params: &ExplorerParams,
        page: u32,
        page_size: u32,
        loading: bool,
    ) -> Self {
        let now = Utc::now();
        let selected = explorer.selected.as_ref();
        let code = selected.map_or_else(String::new, |v| v.currency.code().to_owned());
        let total = explorer.page.total;
        let first = u64::from(page.saturating_sub(1)) * u64::from(page_size);
        let last = first + explorer.page.meters.len() as u64;
        Self {
            layout,
            currencies: currency_options(explorer, &code),
            currency_error: explorer.unknown_currency.as_ref().map(|c| format!("There is no rate card in {c}: Spendboard reads one for each currency its customers are billed in.")),
            text: params.search.text.clone(),
            categories: options(&explorer.categories, &params.search.category),
            regions: options(&explorer.regions, &params.search.region),
            changed_only: params.search.changed_only,
            card: selected.map(|v| card_view(v, explorer.customers, now)),
            failure: failure(explorer, now),
            loading: loading && selected.is_none(),
            meters: meter_rows(explorer),
            shown: shown(first, last, total),
            previous_page: (page > 1).then(|| {
                format!("{}?{}", crate::paths::PRICES, params.query(Some(page - 1)))
            }),
            next_page: (last < total).then(|| {
                format!("{}?{}", crate::paths::PRICES, params.query(Some(page + 1)))
            }),
            csv_url: format!("{}?{}", crate::paths::PRICES_CSV, params.query(None)),
        }
    }
}

/// One region of a region comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionRowView {
    pub region: String,
    pub tiers: String,
    pub monthly_cost: String,
    /// `+12.34 EUR`, `-3.10 EUR`, or `this region`.
    pub difference: String,
    pub is_origin: bool,
    pub url: String,
}

/// A meter's price in every region.
#[derive(Template, WebTemplate)]
#[template(path = "pages/meter_regions.html")]
pub struct MeterRegionsPage {
    pub layout: Layout,
    pub meter: MeterRowView,
    pub currency: String,
    /// The quantity as typed.
    pub quantity: String,
    pub quantity_error: Option<String>,
    pub action: String,
    /// Cheapest first; empty when the quantity was refused.
    pub regions: Vec<RegionRowView>,
    pub rate_card_date: String,
}

impl MeterRegionsPage {
    /// The comparison, or the form with the quantity's error.
    pub fn new(layout: Layout, comparison: RegionComparison) -> Self {
        let RegionComparison {
            version,
            meter,
            typed: quantity,
            error: quantity_error,
            regions,
        } = comparison;
        let currency = &version.currency;
        Self {
            layout,
            meter: MeterRowView::new(&meter, currency),
            currency: currency.code().to_owned(),
            quantity,
            quantity_error,
            action: crate::paths::meter_regions(currency, &meter.meter.meter_id),
            regions: regions
                .iter()
                .map(|r| RegionRowView::of(r, None, currency))
                .collect(),
            rate_card_date: format_utc(version.checked_at),
        }
    }
}

/// One meter of a subscription in every region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeterRegionsView {
    pub name: String,
    pub subcategory: String,
    /// `1,234.5 1 Hour this period so far, 123.45 EUR`.
    pub usage: String,
    /// Where it runs, or that the record does not say.
    pub region_note: String,
    pub regions: Vec<RegionRowView>,
}

/// A subscription's meters compared across regions.
#[derive(Template, WebTemplate)]
#[template(path = "pages/subscription_regions.html")]
pub struct SubscriptionRegionsPage {
    pub layout: Layout,
    pub customer_name: String,
    pub customer_url: String,
    pub subscription_url: String,
    pub subscription_id: String,
    pub currency: String,
    /// The rate card priced from, or that there is none yet.
    pub card_note: String,
    pub meters: Vec<MeterRegionsView>,
}

impl SubscriptionRegionsPage {
    /// The page for `meters` priced on `version` (`None`: no rate card in `currency` yet).
    pub fn new(
        layout: Layout,
        snapshot: &CustomerSnapshot,
        subscription: &SubscriptionId,
        version: Option<&RateCardVersion>,
        meters: &[MeterRegions],
    ) -> Self {
        let currency = snapshot.currency();
        Self {
            layout,
            customer_name: snapshot.company_name.clone(),
            customer_url: crate::paths::customer(&snapshot.customer_id),
            subscription_url: crate::paths::subscription(&snapshot.customer_id, subscription),
            subscription_id: subscription.to_string(),
            currency: currency.code().to_owned(),
            card_note: match version {
                Some(v) => format!(
                    "List prices in {} from the rate card confirmed {}, before any partner discount or credit and without tax; for Azure plan customers an estimate. Each region is priced at this period's quantity so far, tiers and included quantities applied.",
                    v.currency,
                    format_utc(v.checked_at)
                ),
                None => format!(
                    "There is no rate card in {currency} yet: open Azure prices to read it."
                ),
            },
            meters: meters
                .iter()
                .map(|m| MeterRegionsView::of(m, currency))
                .collect(),
        }
    }
}

impl MeterRegionsView {
    /// A meter of the subscription in every region, amounts in `currency`.
    fn of(m: &MeterRegions, currency: &Currency) -> Self {
        Self {
            name: m.name.clone(),
            subcategory: m.subcategory.clone(),
            usage: format!(
                "{} × {} this period so far, {}",
                quantity(m.quantity.round_dp(4)),
                m.unit,
                m.spend
            ),
            region_note: match &m.region {
                Some(region) => format!("Runs in {region}; differences are to it."),
                None => {
                    "The usage records do not say which region; differences are to the cheapest."
                        .into()
                }
            },
            regions: m
                .regions
                .iter()
                .map(|r| RegionRowView::of(r, Some(m.quantity), currency))
                .collect(),
        }
    }
}

impl RegionRowView {
    /// The meter in one region, amounts in `currency`; its link compares the regions at
    /// `used` units when given.
    fn of(r: &RegionPrice, used: Option<Decimal>, currency: &Currency) -> Self {
        let url = crate::paths::meter_regions(currency, &r.meter.meter.meter_id);
        let money = |amount| Money::new(amount, currency.clone());
        Self {
            region: r.meter.meter.region.clone(),
            tiers: tiers_text(&r.meter.meter.price, currency),
            monthly_cost: money(r.monthly_cost).to_string(),
            difference: if r.is_origin {
                "this region".into()
            } else if r.difference > Decimal::ZERO {
                format!("+{}", money(r.difference))
            } else {
                money(r.difference).to_string()
            },
            is_origin: r.is_origin,
            url: match used {
                Some(used) => format!("{url}?quantity={}", quantity(used.round_dp(8))),
                None => url,
            },
        }
    }
}
