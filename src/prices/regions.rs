//! The same meter in every region of the rate card, sorted by what a month of a quantity
//! costs there, with the difference to the region compared from.

use rust_decimal::Decimal;

use crate::domain::{Money, PriceError, parse_quantity};
use crate::store::{FoundMeter, MeterUsage, RateCardVersion, Store, StoreError};

/// A meter compared across regions at a typed quantity.
#[derive(Debug, Clone)]
pub struct RegionComparison {
    /// The rate card version compared on.
    pub version: RateCardVersion,
    /// The meter compared from.
    pub meter: FoundMeter,
    /// The quantity per month as typed (or the default).
    pub typed: String,
    /// Why the quantity cannot be priced; then `regions` is empty.
    pub error: Option<String>,
    /// Cheapest first.
    pub regions: Vec<RegionPrice>,
}

/// Compares meter `meter_id` of the `currency` rate card across regions at a month of
/// `typed` units (by default 730 for hourly meters, else 100). `None` when there is no such
/// rate card or meter.
///
/// # Errors
/// [`StoreError`] when the database fails.
pub async fn region_comparison(
    store: &Store,
    currency: &str,
    meter_id: &str,
    typed: Option<String>,
) -> Result<Option<RegionComparison>, StoreError> {
    let versions = store.rate_card_versions().await?;
    let Some(version) = versions
        .into_iter()
        .find(|v| v.currency.code().eq_ignore_ascii_case(currency))
    else {
        return Ok(None);
    };
    let Some(meter) = store.rate_card_meter(&version, meter_id).await? else {
        return Ok(None);
    };
    let typed = typed.unwrap_or_else(|| {
        if meter.meter.unit.contains("Hour") {
            "730"
        } else {
            "100"
        }
        .to_owned()
    });
    let compared = match parse_quantity(&typed) {
        Ok(quantity) => {
            let same = store.meter_in_every_region(&version, &meter.meter).await?;
            compare_regions(same, &meter.meter.meter_id, quantity).map_err(|e| e.to_string())
        }
        Err(e) => Err(e.to_string()),
    };
    let (regions, error) = match compared {
        Ok(regions) => (regions, None),
        Err(e) => (Vec::new(), Some(e)),
    };
    Ok(Some(RegionComparison {
        version,
        meter,
        typed,
        error,
        regions,
    }))
}

/// One region's price of a meter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionPrice {
    /// The meter in that region.
    pub meter: FoundMeter,
    /// What the monthly quantity costs there (tiers and included quantity applied).
    pub monthly_cost: Decimal,
    /// `monthly_cost` minus the cost in the region compared from (negative: cheaper).
    pub difference: Decimal,
    /// This is the region compared from.
    pub is_origin: bool,
}

/// Prices `quantity` units for a month in each region of `meters` (the same meter
/// everywhere, see `Store::meter_in_every_region`) and sorts them cheapest first (ties by
/// region name); the differences are to the meter `origin_id`, or to the cheapest region when
/// it is not among them (the region in use is not known).
///
/// # Errors
/// [`PriceError::TooLarge`] when a cost overflows.
pub fn compare_regions(
    meters: Vec<FoundMeter>,
    origin_id: &str,
    quantity: Decimal,
) -> Result<Vec<RegionPrice>, PriceError> {
    let priced = meters
        .into_iter()
        .map(|meter| Ok((meter.meter.price.cost_up_to(quantity)?, meter)))
        .collect::<Result<Vec<(Decimal, FoundMeter)>, PriceError>>()?;
    let origin_cost = priced
        .iter()
        .find(|(_, m)| m.meter.meter_id == origin_id)
        .or_else(|| priced.iter().min_by_key(|(cost, _)| *cost))
        .map_or(Decimal::ZERO, |(cost, _)| *cost);
    let mut regions: Vec<RegionPrice> = priced
        .into_iter()
        .map(|(monthly_cost, meter)| RegionPrice {
            is_origin: meter.meter.meter_id == origin_id,
            difference: monthly_cost - origin_cost,
            monthly_cost,
            meter,
        })
        .collect();
    regions.sort_by(|a, b| {
        a.monthly_cost
            .cmp(&b.monthly_cost)
            .then_with(|| a.meter.meter.region.cmp(&b.meter.meter.region))
    });
    Ok(regions)
}

/// One meter a subscription uses, in every region of the rate card.
#[derive(Debug, Clone)]
pub struct MeterRegions {
    /// The meter as the usage records name it.
    pub name: String,
    /// Its subcategory.
    pub subcategory: String,
    /// This period's quantity so far, in `unit`.
    pub quantity: Decimal,
    /// The unit.
    pub unit: String,
    /// This period's spend on it so far.
    pub spend: Money,
    /// The region it runs in, when the usage record's meter id names it (legacy).
    pub region: Option<String>,
    /// Cheapest first, priced at `quantity`.
    pub regions: Vec<RegionPrice>,
}

/// Most meters of a subscription compared.
const MAX_COMPARED_METERS: usize = 10;

/// The subscription's most expensive meters (up to 10) that are on the rate card of
/// `version`, each priced in every region at this period's quantity. A legacy record's meter
/// id is the rate card's, which gives the region it runs in; an Azure plan record's is not,
/// and its meter is then found by name, category and subcategory in every region.
///
/// # Errors
/// [`StoreError`] when the database fails.
pub async fn subscription_regions(
    store: &Store,
    version: &RateCardVersion,
    mut meters: Vec<MeterUsage>,
) -> Result<Vec<MeterRegions>, StoreError> {
    meters.sort_by_key(|m| std::cmp::Reverse(m.total_cost.amount()));
    let mut compared = Vec::new();
    for usage in meters {
        if compared.len() == MAX_COMPARED_METERS {
            break;
        }
        let (Some(name), Some(quantity)) = (usage.meter_name.clone(), usage.quantity) else {
            continue;
        };
        let by_id = match usage.meter_id.as_deref() {
            Some(id) => store.rate_card_meter(version, id).await?,
            None => None,
        };
        let (same, origin) = match &by_id {
            Some(found) => (
                store.meter_in_every_region(version, &found.meter).await?,
                found.meter.meter_id.clone(),
            ),
            None => {
                let category = usage.category.clone().unwrap_or_default();
                let subcategory = usage.subcategory.clone().unwrap_or_default();
                let mut same = store
                    .meters_named(version, &name, &category, &subcategory)
                    .await?;
                if let Some(unit) = &usage.unit {
                    same.retain(|m| &m.meter.unit == unit);
                }
                (same, String::new())
            }
        };
        if same.is_empty() {
            continue;
        }
        let Ok(regions) = compare_regions(same, &origin, quantity) else {
            continue;
        };
        compared.push(MeterRegions {
            subcategory: usage.subcategory.clone().unwrap_or_default(),
            unit: usage.unit.clone().unwrap_or_default(),
            spend: usage.total_cost,
            region: by_id.map(|f| f.meter.region),
            name,
            quantity,
            regions,
        });
    }
    Ok(compared)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::MeterPrice;
    use crate::store::RateCardMeter;

    fn meter(id: &str, region: &str, price: &str, included: &str) -> FoundMeter {
        FoundMeter {
            meter: RateCardMeter {
                meter_id: id.into(),
                name: "D4s v3".into(),
                category: "Virtual Machines".into(),
                subcategory: "Dsv3 Series".into(),
                region: region.into(),
                unit: "1 Hour".into(),
                price: MeterPrice::new(
                    [(Decimal::ZERO, price.parse().unwrap())],
                    included.parse().unwrap(),
                )
                .unwrap(),
                effective_date: None,
            },
            previous: None,
        }
    }

    #[test]
    fn regions_are_sorted_by_monthly_cost_with_the_difference_to_the_origin() {
        let regions = compare_regions(
            vec![
                meter("w", "EU West", "0.23", "0"),
                meter("n", "EU North", "0.2208", "0"),
                meter("e", "US East", "0.207", "0"),
                meter("s", "SE Central", "0.2208", "0"),
                meter("f", "AU East", "0.25", "200"),
            ],
            "w",
            Decimal::from(730),
        )
        .unwrap();
        let order: Vec<_> = regions
            .iter()
            .map(|r| r.meter.meter.region.as_str())
            .collect();
        // AU East: (730 - 200) x 0.25 = 132.5; US East 151.11; EU North = SE Central 161.184
        assert_eq!(
            order,
            ["AU East", "US East", "EU North", "SE Central", "EU West"]
        );
        assert_eq!(regions[0].monthly_cost, "132.50".parse().unwrap());
        assert_eq!(regions[1].difference, "-16.79".parse().unwrap());
        assert_eq!(regions[4].difference, Decimal::ZERO);
        assert!(regions[4].is_origin);
    }

    #[test]
    fn without_a_known_region_differences_are_to_the_cheapest() {
        let regions = compare_regions(
            vec![
                meter("w", "EU West", "0.23", "0"),
                meter("e", "US East", "0.207", "0"),
            ],
            "",
            Decimal::from(100),
        )
        .unwrap();
        assert_eq!(regions[0].difference, Decimal::ZERO);
        assert_eq!(regions[1].difference, "2.30".parse().unwrap());
        assert!(regions.iter().all(|r| !r.is_origin));
    }
}
