//! Exact prices of a rate card meter: tiered rates and an included quantity
//! (docs/rate-card.md, "How a price is applied").
//!
//! A meter's `rates` map tier thresholds (in the meter's unit, counted on the quantity used in
//! the billing period) to the unit price from that threshold on; the lowest tier applies
//! from zero. The first `includedQuantity` units of the period are free; tiers are still
//! counted on the whole period's quantity. So with `{"0": 0.087, "10240": 0.083}` and 5
//! included, 20,000 GB cost (10,240 - 5) x 0.087 + (20,000 - 10,240) x 0.083.

use std::fmt;

use rust_decimal::Decimal;

/// Why rates cannot price anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PriceError {
    /// The meter has no rates.
    NoRates,
    /// A threshold, price, included quantity or quantity is negative.
    Negative,
    /// The cost does not fit an exact decimal (absurd quantities).
    TooLarge,
}

impl fmt::Display for PriceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::NoRates => "the meter has no price on the rate card",
            Self::Negative => "prices and quantities cannot be negative",
            Self::TooLarge => "the quantity is too large to price",
        })
    }
}

impl std::error::Error for PriceError {}

/// A meter's price: tiers (threshold in units, unit price), lowest first, and the quantity
/// included free each billing period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeterPrice {
    tiers: Vec<(Decimal, Decimal)>,
    included: Decimal,
}

impl MeterPrice {
    /// The price of a meter from its rates (threshold to unit price, in any order) and its
    /// included quantity.
    ///
    /// # Errors
    /// [`PriceError::NoRates`] without rates; [`PriceError::Negative`] for a negative
    /// threshold, price or included quantity.
    pub fn new(
        rates: impl IntoIterator<Item = (Decimal, Decimal)>,
        included: Decimal,
    ) -> Result<Self, PriceError> {
        let mut tiers: Vec<(Decimal, Decimal)> = rates.into_iter().collect();
        if tiers.is_empty() {
            return Err(PriceError::NoRates);
        }
        if included.is_sign_negative()
            || tiers
                .iter()
                .any(|(t, p)| t.is_sign_negative() || p.is_sign_negative())
        {
            return Err(PriceError::Negative);
        }
        tiers.sort_by_key(|tier| tier.0);
        tiers[0].0 = Decimal::ZERO;
        Ok(Self { tiers, included })
    }

    /// The tiers, lowest first (the first from 0).
    pub fn tiers(&self) -> &[(Decimal, Decimal)] {
        &self.tiers
    }

    /// The quantity included free each billing period.
    pub fn included(&self) -> Decimal {
        self.included
    }

    /// The first tier's unit price (what a small quantity costs per unit).
    pub fn base_price(&self) -> Decimal {
        self.tiers[0].1
    }

    /// The cost of the first `quantity` units of a billing period.
    ///
    /// # Errors
    /// [`PriceError::Negative`] for a negative quantity, [`PriceError::TooLarge`] on overflow.
    pub fn cost_up_to(&self, quantity: Decimal) -> Result<Decimal, PriceError> {
        if quantity.is_sign_negative() {
            return Err(PriceError::Negative);
        }
        let mut cost = Decimal::ZERO;
        for (index, (threshold, price)) in self.tiers.iter().enumerate() {
            let from = (*threshold).max(self.included);
            let to = self
                .tiers
                .get(index + 1)
                .map_or(quantity, |(next, _)| (*next).min(quantity));
            if to > from {
                let part = (to - from)
                    .checked_mul(*price)
                    .ok_or(PriceError::TooLarge)?;
                cost = cost.checked_add(part).ok_or(PriceError::TooLarge)?;
            }
        }
        Ok(cost)
    }

    /// The cost of `more` units after `already` units of the same billing period: tiers and
    /// the included quantity apply on top of what was already used.
    ///
    /// # Errors
    /// As [`MeterPrice::cost_up_to`].
    pub fn cost_of(&self, already: Decimal, more: Decimal) -> Result<Decimal, PriceError> {
        if more.is_sign_negative() {
            return Err(PriceError::Negative);
        }
        let total = already.checked_add(more).ok_or(PriceError::TooLarge)?;
        Ok(self.cost_up_to(total)? - self.cost_up_to(already)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    fn transfer_out() -> MeterPrice {
        MeterPrice::new(
            [
                (d("51200"), d("0.07")),
                (d("0"), d("0.087")),
                (d("10240"), d("0.083")),
            ],
            d("5"),
        )
        .unwrap()
    }

    #[test]
    fn the_documented_single_rate_example_costs_quantity_times_price() {
        // The documented rate card example (docs/partner-center.md, section 13): "Compute
        // Hours", rates {"0": 3.9729}, included 0.0.
        let price = MeterPrice::new([(d("0"), d("3.9729"))], d("0.0")).unwrap();
        assert_eq!(price.cost_up_to(d("720")).unwrap(), d("2860.488"));
        assert_eq!(price.cost_of(d("100"), d("620")).unwrap(), d("2463.198"));
    }

    #[test]
    fn the_included_quantity_is_free_and_tiers_count_the_whole_period() {
        let price = transfer_out();
        assert_eq!(price.cost_up_to(d("4")).unwrap(), Decimal::ZERO);
        assert_eq!(price.cost_up_to(d("5")).unwrap(), Decimal::ZERO);
        assert_eq!(price.cost_up_to(d("100")).unwrap(), d("8.265"));
        // 10,235 x 0.087 + 9,760 x 0.083 = 890.445 + 810.08
        assert_eq!(price.cost_up_to(d("20000")).unwrap(), d("1700.525"));
        // 10,235 x 0.087 + 40,960 x 0.083 + 8,800 x 0.07 = 890.445 + 3399.68 + 616
        assert_eq!(price.cost_up_to(d("60000")).unwrap(), d("4906.125"));
    }

    #[test]
    fn more_units_are_priced_on_top_of_what_the_period_already_used() {
        let price = transfer_out();
        // 8,000 used, 5,000 more: 2,240 x 0.087 + 2,760 x 0.083 = 194.88 + 229.08
        assert_eq!(price.cost_of(d("8000"), d("5000")).unwrap(), d("423.96"));
        // the same 5,000 from the start of the period: the first 5 free
        assert_eq!(price.cost_of(d("0"), d("5000")).unwrap(), d("434.565"));
        assert_eq!(price.cost_of(d("2"), d("2")).unwrap(), Decimal::ZERO);
    }

    #[test]
    fn an_included_quantity_above_a_threshold_frees_that_tier_too() {
        let price = MeterPrice::new([(d("0"), d("1")), (d("10"), d("0.5"))], d("15")).unwrap();
        assert_eq!(price.cost_up_to(d("15")).unwrap(), Decimal::ZERO);
        assert_eq!(price.cost_up_to(d("19")).unwrap(), d("2.0"));
    }

    #[test]
    fn the_lowest_tier_applies_from_zero() {
        let price = MeterPrice::new([(d("1"), d("2"))], Decimal::ZERO).unwrap();
        assert_eq!(price.cost_up_to(d("3")).unwrap(), d("6"));
        assert_eq!(price.base_price(), d("2"));
    }

    #[test]
    fn bad_rates_and_quantities_are_refused() {
        assert_eq!(MeterPrice::new([], Decimal::ZERO), Err(PriceError::NoRates));
        assert_eq!(
            MeterPrice::new([(d("0"), d("-1"))], Decimal::ZERO),
            Err(PriceError::Negative)
        );
        assert_eq!(
            MeterPrice::new([(d("0"), d("1"))], d("-1")),
            Err(PriceError::Negative)
        );
        let price = transfer_out();
        assert_eq!(price.cost_up_to(d("-1")), Err(PriceError::Negative));
        assert_eq!(price.cost_of(d("1"), d("-1")), Err(PriceError::Negative));
        assert_eq!(
            price.cost_of(Decimal::MAX, Decimal::MAX),
            Err(PriceError::TooLarge)
        );
    }
}
