//! How Rust values are written to and read from columns, identically on both databases.

use chrono::{DateTime, SubsecRound, Utc};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArgumentBuffer, PgTypeInfo, PgValueRef};
use sqlx::sqlite::{SqliteArgumentsBuffer, SqliteTypeInfo, SqliteValueRef};
use sqlx::{Decode, Encode, Postgres, Sqlite, Type};

use super::StoreError;
use crate::domain::{Currency, CustomerId, Money, UsageStatus};

/// An exact decimal amount in a column: TEXT on SQLite (its NUMERIC affinity would round to
/// f64), NUMERIC on PostgreSQL. Every digit and the scale survive the round trip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct DbDecimal(pub(super) Decimal);

impl Type<Sqlite> for DbDecimal {
    fn type_info() -> SqliteTypeInfo {
        <String as Type<Sqlite>>::type_info()
    }
    fn compatible(ty: &SqliteTypeInfo) -> bool {
        <String as Type<Sqlite>>::compatible(ty)
    }
}

impl Encode<'_, Sqlite> for DbDecimal {
    fn encode_by_ref(&self, buf: &mut SqliteArgumentsBuffer) -> Result<IsNull, BoxDynError> {
        Encode::<Sqlite>::encode(self.0.to_string(), buf)
    }
}

impl<'r> Decode<'r, Sqlite> for DbDecimal {
    fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
        let text = <String as Decode<Sqlite>>::decode(value)?;
        Ok(Self(text.parse::<Decimal>()?))
    }
}

impl Type<Postgres> for DbDecimal {
    fn type_info() -> PgTypeInfo {
        <Decimal as Type<Postgres>>::type_info()
    }
    fn compatible(ty: &PgTypeInfo) -> bool {
        <Decimal as Type<Postgres>>::compatible(ty)
    }
}

impl Encode<'_, Postgres> for DbDecimal {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        Encode::<Postgres>::encode_by_ref(&self.0, buf)
    }
}

impl<'r> Decode<'r, Postgres> for DbDecimal {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(Self(<Decimal as Decode<Postgres>>::decode(value)?))
    }
}

/// `Option<Decimal>` as a bindable column value.
pub(super) fn db_decimal(amount: Option<Decimal>) -> Option<DbDecimal> {
    amount.map(DbDecimal)
}

/// The exact amount of an `Option<Money>` as a bindable column value (its currency is
/// stored in a column of its own).
pub(super) fn db_money(money: Option<&Money>) -> Option<DbDecimal> {
    money.map(|m| DbDecimal(m.amount()))
}

/// An amount read back from a column, in the `currency` read back with it.
pub(super) fn money(amount: DbDecimal, currency: &Currency) -> Money {
    Money::new(amount.0, currency.clone())
}

/// A USD equivalent read back from a column (Partner Center's `usdTotalCost`).
pub(super) fn usd(amount: Option<DbDecimal>) -> Option<Money> {
    amount.map(|d| Money::usd(d.0))
}

/// A timestamp as it is stored: truncated to whole microseconds, PostgreSQL's resolution, so
/// both databases give back the same value.
pub(super) fn stored_time(at: DateTime<Utc>) -> DateTime<Utc> {
    at.trunc_subsecs(6)
}

/// An integer key that orders amounts numerically on both databases (TEXT does not):
/// the amount × 10^4, rounded, saturating at the `i64` range. Used only in ORDER BY.
pub(super) fn amount_sort_key(amount: Decimal) -> i64 {
    scaled_key(amount, Decimal::from(10_000))
}

/// A percentage (2 decimal places, as Partner Center's `percentUsed`) × 100 as an integer
/// sort key.
pub(super) fn percent_sort_key(percent: Decimal) -> i64 {
    scaled_key(percent, Decimal::ONE_HUNDRED)
}

/// `value × factor`, rounded, saturating at the `i64` range (and at the decimal range).
fn scaled_key(value: Decimal, factor: Decimal) -> i64 {
    let saturated = if value.is_sign_negative() {
        i64::MIN
    } else {
        i64::MAX
    };
    value
        .checked_mul(factor)
        .and_then(|scaled| scaled.round().to_i64())
        .unwrap_or(saturated)
}

/// Most urgent first: over budget, near budget, on pace to exceed, within budget, no budget.
pub(super) fn status_rank(status: UsageStatus) -> i64 {
    match status {
        UsageStatus::OverBudget => 0,
        UsageStatus::NearBudget => 1,
        UsageStatus::OnPace => 2,
        UsageStatus::WithinBudget => 3,
        UsageStatus::NoBudget => 4,
    }
}

/// A customer id read back from a column.
pub(super) fn parse_customer_id(text: &str) -> Result<CustomerId, StoreError> {
    CustomerId::parse(text).map_err(|e| StoreError::InvalidValue(e.to_string()))
}

/// A currency code read back from a column.
pub(super) fn parse_currency(text: &str) -> Result<Currency, StoreError> {
    Currency::parse(text).map_err(|e| StoreError::InvalidValue(e.to_string()))
}

/// A stored enum key read back from a column (the enum's `FromStr`), naming `what` it is in
/// the error.
pub(super) fn parse_key<T: std::str::FromStr>(key: &str, what: &str) -> Result<T, StoreError> {
    key.parse()
        .map_err(|_| StoreError::InvalidValue(format!("unknown {what} {key:?}")))
}

/// A count read back from a column (`count(*)` is BIGINT on PostgreSQL, INTEGER on SQLite).
pub(super) fn count(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn amount_keys_order_numerically_not_as_text() {
        assert!(amount_sort_key(d("9")) < amount_sort_key(d("10")));
        assert!(amount_sort_key(d("-10")) < amount_sort_key(d("-9")));
        assert_eq!(amount_sort_key(d("120.5682999999995904716")), 1_205_683);
        assert_eq!(
            amount_sort_key(d("79228162514264337593543950335")),
            i64::MAX
        );
    }

    #[test]
    fn percent_keys_keep_two_decimal_places() {
        assert_eq!(percent_sort_key(d("602.84")), 60_284);
        assert!(percent_sort_key(d("99.99")) < percent_sort_key(d("100")));
    }
}
