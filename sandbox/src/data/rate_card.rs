//! The Azure rate card the sandbox serves: every meter of the catalogue in its own region at
//! the price the usage records are charged at (so every meter in use is on the card), the
//! same meters in the other regions, and generated meter families (virtual machine sizes,
//! storage, bandwidth, databases, logs) until the card holds the requested number of meters.
//! Families may have tiered rates and an included quantity. Outside the catalogue's own
//! meters, about one meter in ten gets a new price at the start of a month (UTC), as read on
//! the sandbox clock, so advancing the clock changes prices. Deterministic from the seed.

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::catalog::{Currency, METERS};
use super::usage::decimal;
use crate::random::{Rng, hash};

/// Azure regions as the rate card names them, with each one's price level in per mille.
pub static REGIONS: [(&str, i128); 8] = [
    ("EU West", 1000),
    ("EU North", 960),
    ("US East", 900),
    ("US West 2", 920),
    ("UK South", 1040),
    ("AU East", 1120),
    ("JA East", 1090),
    ("SE Central", 980),
];

/// Bandwidth zones, which bandwidth meters are priced by instead of regions.
pub static ZONES: [(&str, i128); 3] = [("Zone 1", 1000), ("Zone 2", 1380), ("Zone 3", 1570)];

/// Price tiers: (threshold in units, price in per mille of the first tier's).
type Tiers = &'static [(i64, i128)];
const FLAT: Tiers = &[(0, 1000)];
const STORAGE_TIERS: Tiers = &[(0, 1000), (51_200, 960), (512_000, 920)];
const TRANSFER_TIERS: Tiers = &[(0, 1000), (10_240, 800), (51_200, 600), (153_600, 560)];
const LOG_TIERS: Tiers = &[(0, 1000), (100, 870)];

/// First month (UTC) from which prices may change.
const FIRST_CHANGE_MONTH: i32 = 2024 * 12;
/// How far back a meter's last price change is looked for, in months.
const CHANGE_LOOKBACK: i32 = 48;
/// The effective date of prices that never changed.
const ORIGINAL_EFFECTIVE: &str = "2016-09-01T00:00:00Z";

/// One meter of the rate card, priced in a currency on a date.
#[derive(Debug)]
pub struct PricedMeter {
    pub id: Uuid,
    pub name: String,
    pub category: &'static str,
    pub subcategory: String,
    pub region: &'static str,
    pub unit: &'static str,
    /// Tier threshold (units) to unit price, normalised.
    pub rates: Vec<(Decimal, Decimal)>,
    pub included_quantity: Decimal,
    /// `yyyy-mm-ddT00:00:00Z`.
    pub effective_date: String,
}

/// A meter before pricing: what it is and its base US dollar price (scale 8).
struct Family {
    name: String,
    category: &'static str,
    subcategory: String,
    unit: &'static str,
    usd_price: i128,
    tiers: Tiers,
    included: i64,
    zoned: bool,
}

/// The rate card of `count` meters (at least the catalogue's), priced in `currency` on `today`.
pub fn priced_meters(
    seed: u64,
    count: usize,
    currency: &Currency,
    today: NaiveDate,
) -> Vec<PricedMeter> {
    let mut meters = Vec::with_capacity(count.max(METERS.len()));
    for meter in &METERS {
        meters.push(PricedMeter {
            id: Uuid::parse_str(meter.guid).unwrap_or_default(),
            name: meter.name.to_string(),
            category: meter.category,
            subcategory: meter.subcategory.to_string(),
            region: meter.region,
            unit: meter.unit,
            rates: vec![(
                Decimal::ZERO,
                decimal(meter.usd_price * currency.per_usd / 10_000, 8),
            )],
            included_quantity: Decimal::ZERO,
            effective_date: ORIGINAL_EFFECTIVE.to_string(),
        });
    }
    let families = METERS
        .iter()
        .map(|meter| Family {
            name: meter.name.to_string(),
            category: meter.category,
            subcategory: meter.subcategory.to_string(),
            unit: meter.unit,
            usd_price: meter.usd_price,
            tiers: FLAT,
            included: 0,
            zoned: meter.region.starts_with("Zone"),
        })
        .chain((0..).map(|index| generated_family(seed, index)));
    for (family_index, family) in families.enumerate() {
        let regions: &[(&str, i128)] = if family.zoned { &ZONES } else { &REGIONS };
        for (region_index, (region, level)) in regions.iter().enumerate() {
            if meters.len() >= count {
                return meters;
            }
            let own = family_index < METERS.len() && METERS[family_index].region == *region;
            if own {
                continue;
            }
            let key = hash(&[seed, 0x4A7E, family_index as u64, region_index as u64]);
            let (factor, effective) = price_change(seed, key, today);
            let first = family.usd_price * level / 1000 * factor / 1000 * currency.per_usd / 10_000;
            meters.push(PricedMeter {
                id: Rng::new(seed, key).uuid(),
                name: family.name.clone(),
                category: family.category,
                subcategory: family.subcategory.clone(),
                region,
                unit: family.unit,
                rates: family
                    .tiers
                    .iter()
                    .map(|(threshold, permille)| {
                        (
                            Decimal::from(*threshold),
                            decimal(first * permille / 1000, 8),
                        )
                    })
                    .collect(),
                included_quantity: Decimal::from(family.included),
                effective_date: effective,
            });
        }
    }
    meters
}

/// The price factor (per mille) of a meter on `today` and the date it took effect: the last
/// month start at which the meter's price changed, or the original date.
fn price_change(seed: u64, key: u64, today: NaiveDate) -> (i128, String) {
    let month = today.year() * 12 + today.month0() as i32;
    (month
        .saturating_sub(CHANGE_LOOKBACK)
        .max(FIRST_CHANGE_MONTH)..=month)
        .rev()
        .find(|m| hash(&[seed, 0xC4A6, key, *m as u64]).is_multiple_of(10))
        .map(|m| {
            let factor = 880 + (hash(&[seed, 0xFAC7, key, m as u64]) % 241) as i128;
            let start = Utc
                .with_ymd_and_hms(m / 12, (m % 12) as u32 + 1, 1, 0, 0, 0)
                .single()
                .map(|d: DateTime<Utc>| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
                .unwrap_or_else(|| ORIGINAL_EFFECTIVE.to_string());
            (factor, start)
        })
        .unwrap_or_else(|| (1000, ORIGINAL_EFFECTIVE.to_string()))
}

const VM_SERIES: [(&str, &str, i128); 10] = [
    ("D", "s v5", 4_800_000),
    ("D", "ds v5", 5_650_000),
    ("E", "s v5", 6_300_000),
    ("F", "s v2", 4_230_000),
    ("B", "ms", 4_160_000),
    ("L", "s v3", 7_800_000),
    ("E", "as v5", 5_650_000),
    ("D", "as v5", 4_300_000),
    ("M", "ms v2", 13_100_000),
    ("NC", "as T4 v3", 13_150_000),
];
const VM_SIZES: [i128; 8] = [2, 4, 8, 16, 32, 48, 64, 96];
const STORAGE_REDUNDANCY: [(&str, i128); 5] = [
    ("LRS", 1000),
    ("ZRS", 1250),
    ("GRS", 2000),
    ("RA-GRS", 2500),
    ("GZRS", 2250),
];
const STORAGE_TIER: [(&str, i128); 4] = [
    ("Hot", 1_840_000),
    ("Cool", 1_000_000),
    ("Cold", 360_000),
    ("Archive", 99_000),
];

/// The `index`th generated meter family: kinds in turn, each kind's variants numbered.
fn generated_family(seed: u64, index: usize) -> Family {
    let variant = index / 5;
    let jitter = 950 + (hash(&[seed, 0xFA11, index as u64]) % 101) as i128;
    match index % 5 {
        0 | 1 => {
            let n = variant * 2 + index % 5;
            let (letter, suffix, per_vcpu) = VM_SERIES[n % VM_SERIES.len()];
            let size = VM_SIZES[n / VM_SERIES.len() % VM_SIZES.len()];
            let generation = n / (VM_SERIES.len() * VM_SIZES.len());
            let windows = generation % 2 == 1;
            let release = if generation < 2 {
                String::new()
            } else {
                format!(" r{}", generation / 2 + 1)
            };
            Family {
                name: format!("{letter}{size}{suffix}{release}"),
                category: "Virtual Machines",
                subcategory: format!(
                    "{letter}{suffix} Series{}",
                    if windows { " Windows" } else { "" }
                ),
                unit: "1 Hour",
                usd_price: per_vcpu * size * if windows { 1400 } else { 1000 } / 1000 * jitter
                    / 1000,
                tiers: FLAT,
                included: 0,
                zoned: false,
            }
        }
        2 => {
            let (redundancy, factor) = STORAGE_REDUNDANCY[variant % STORAGE_REDUNDANCY.len()];
            let (tier, price) =
                STORAGE_TIER[variant / STORAGE_REDUNDANCY.len() % STORAGE_TIER.len()];
            let account = variant / (STORAGE_REDUNDANCY.len() * STORAGE_TIER.len());
            Family {
                name: format!("{tier} {redundancy} Data Stored"),
                category: "Storage",
                subcategory: format!("Block Blob v{}", account + 2),
                unit: "1 GB/Month",
                usd_price: price * factor / 1000 * jitter / 1000,
                tiers: STORAGE_TIERS,
                included: 0,
                zoned: false,
            }
        }
        3 => {
            let kinds = [
                (
                    "Data Transfer Out",
                    "Bandwidth",
                    8_700_000,
                    TRANSFER_TIERS,
                    5,
                ),
                (
                    "Inter-Region Data Transfer",
                    "Bandwidth",
                    2_000_000,
                    FLAT,
                    0,
                ),
                (
                    "Analytics Logs Data Ingestion",
                    "Log Analytics",
                    276_000_000,
                    LOG_TIERS,
                    5,
                ),
                ("Data Retention", "Log Analytics", 10_000_000, FLAT, 31),
            ];
            let (name, category, price, tiers, included) = kinds[variant % kinds.len()];
            let edition = variant / kinds.len();
            Family {
                name: name.to_string(),
                category,
                subcategory: format!("Edition {}", edition + 1),
                unit: "1 GB",
                usd_price: price * jitter / 1000,
                tiers,
                included,
                zoned: category == "Bandwidth",
            }
        }
        _ => {
            let cores = [2, 4, 6, 8, 10, 12, 16, 20, 24, 32, 40, 80];
            let tiers = [
                ("General Purpose", 25_250_000),
                ("Business Critical", 67_900_000),
                ("Hyperscale", 27_400_000),
            ];
            let (tier, per_core) = tiers[variant % tiers.len()];
            let count = cores[variant / tiers.len() % cores.len()];
            let generation = variant / (tiers.len() * cores.len());
            Family {
                name: format!("{tier} {count} vCore"),
                category: "SQL Database",
                subcategory: format!("Gen{}", generation + 5),
                unit: "1 Hour",
                usd_price: per_core * count / 2 * jitter / 1000,
                tiers: FLAT,
                included: 0,
                zoned: false,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::catalog::CURRENCIES;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn the_card_has_the_requested_size_unique_ids_and_every_catalogue_meter() {
        let meters = priced_meters(42, 3000, &CURRENCIES[0], day("2026-03-10"));
        assert_eq!(meters.len(), 3000);
        let ids: std::collections::HashSet<_> = meters.iter().map(|m| m.id).collect();
        assert_eq!(ids.len(), 3000);
        for meter in &METERS {
            assert!(ids.contains(&Uuid::parse_str(meter.guid).unwrap()));
        }
        assert!(meters.iter().any(|m| m.rates.len() > 1));
        assert!(meters.iter().any(|m| m.included_quantity > Decimal::ZERO));
    }

    #[test]
    fn some_prices_change_at_a_month_start_and_the_catalogue_prices_never() {
        let march = priced_meters(42, 2000, &CURRENCIES[1], day("2026-03-31"));
        let april = priced_meters(42, 2000, &CURRENCIES[1], day("2026-04-01"));
        let changed: Vec<_> = march
            .iter()
            .zip(&april)
            .filter(|(m, a)| m.rates != a.rates)
            .collect();
        assert!(
            changed.len() > 50 && changed.len() < 400,
            "{}",
            changed.len()
        );
        assert!(
            changed
                .iter()
                .all(|(_, a)| a.effective_date == "2026-04-01T00:00:00Z")
        );
        assert!(
            march[..METERS.len()]
                .iter()
                .zip(&april)
                .all(|(m, a)| m.rates == a.rates)
        );
    }
}
