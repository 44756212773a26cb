//! `rate_cards`, `rate_card_meters`, `rate_card_attempts`: the Azure rate card per currency,
//! its current and previous version (for price changes), and the last attempt to read it.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::{FromRow, QueryBuilder};

use super::snapshots::search_name;
use super::values::{DbDecimal, count, parse_currency, stored_time};
use super::{Store, StoreError, on_pool};
use crate::domain::{Currency, MeterPrice};

/// Meter rows per INSERT: 11 parameters each stays far below both databases' limits.
const INSERT_BATCH: usize = 1000;

/// Most meters a search returns at once (a CSV export included).
pub const MAX_METERS_RETURNED: u32 = 100_000;

/// One meter of a rate card, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateCardMeter {
    /// Meter GUID, lower-case.
    pub meter_id: String,
    /// Meter name, e.g. `D4s v3`.
    pub name: String,
    /// Category, e.g. `Virtual Machines`.
    pub category: String,
    /// Subcategory, e.g. `Dsv3 Series`.
    pub subcategory: String,
    /// Rate card region, e.g. `EU West`.
    pub region: String,
    /// Unit of the quantity, e.g. `1 Hour`.
    pub unit: String,
    /// Tiers and included quantity, in the card's currency per unit.
    pub price: MeterPrice,
    /// When these rates took effect (UTC).
    pub effective_date: Option<DateTime<Utc>>,
}

/// A rate card read from Partner Center, to be stored.
#[derive(Debug, Clone)]
pub struct NewRateCard {
    /// Currency of every price.
    pub currency: Currency,
    /// Language of the names, e.g. `en`.
    pub locale: String,
    /// The meters (one per meter id).
    pub meters: Vec<RateCardMeter>,
    /// When it was read.
    pub read_at: DateTime<Utc>,
}

/// What storing a rate card did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SavedRateCard {
    /// Prices differ from the current version: stored as the new current version, the old
    /// one kept as the previous.
    NewVersion,
    /// Same prices as the current version: only its `checked_at` moved.
    Unchanged,
}

/// The current version of a currency's rate card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateCardVersion {
    /// Version id.
    pub id: String,
    /// Currency of every price.
    pub currency: Currency,
    /// 1, 2, ... within the currency.
    pub version: i64,
    /// Number of meters.
    pub meter_count: u64,
    /// When this version was first read.
    pub read_at: DateTime<Utc>,
    /// When Partner Center last gave these prices.
    pub checked_at: DateTime<Utc>,
    /// The previous version's id and first read, if one is kept.
    pub previous: Option<(String, DateTime<Utc>)>,
}

/// The last attempt to read a currency's rate card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateCardAttempt {
    /// When.
    pub attempted_at: DateTime<Utc>,
    /// Why it failed; `None` when it succeeded.
    pub error: Option<String>,
}

/// A search of a rate card's meters. Empty fields do not filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MeterSearch {
    /// Words that must all appear in the name, category, subcategory or region (case and
    /// accents ignored).
    pub text: String,
    /// Exact category.
    pub category: String,
    /// Exact region.
    pub region: String,
    /// Only meters whose price changed since the previous version.
    pub changed_only: bool,
    /// Rows to skip and at most how many to return (ordered by name, subcategory, region).
    pub offset: u32,
    /// At most this many rows (capped at [`MAX_METERS_RETURNED`]).
    pub limit: u32,
}

/// A meter found by a search, with its previous price when it changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundMeter {
    /// The meter in the current version.
    pub meter: RateCardMeter,
    /// Its price in the previous version, when that differed; `None` when unchanged or new.
    pub previous: Option<MeterPrice>,
}

/// One page of a search and how many meters match in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeterPage {
    /// The meters of the page.
    pub meters: Vec<FoundMeter>,
    /// How many meters match.
    pub total: u64,
}

#[derive(FromRow)]
struct VersionRow {
    id: String,
    currency: String,
    version: i64,
    meter_count: i64,
    read_at: DateTime<Utc>,
    checked_at: DateTime<Utc>,
}

#[derive(FromRow)]
struct MeterRow {
    meter_id: String,
    name: String,
    category: String,
    subcategory: String,
    region: String,
    unit: String,
    rates: String,
    included_quantity: DbDecimal,
    effective_date: Option<DateTime<Utc>>,
    previous_rates: Option<String>,
    previous_included: Option<DbDecimal>,
}

/// The meter columns and the previous version's joined, up to the previous version's id.
macro_rules! meter_select {
    () => {
        "select m.meter_id, m.name, m.category, m.subcategory, m.region, m.unit, m.rates, \
         m.included_quantity, m.effective_date, p.rates as previous_rates, \
         p.included_quantity as previous_included \
         from rate_card_meters m left join rate_card_meters p on p.card_id = "
    };
}

/// After the previous version's id: the join on a changed price, up to the version's id.
macro_rules! changed_join {
    () => {
        " and p.meter_id = m.meter_id and (p.rates <> m.rates \
         or p.included_quantity <> m.included_quantity) where m.card_id = "
    };
}

/// Rates as stored: `[["0","0.087"],["10240","0.083"]]`, normalised, thresholds ascending.
fn stored_rates(price: &MeterPrice) -> String {
    let pairs: Vec<[String; 2]> = price
        .tiers()
        .iter()
        .map(|(t, p)| [t.normalize().to_string(), p.normalize().to_string()])
        .collect();
    serde_json::Value::from(
        pairs
            .into_iter()
            .map(|pair| serde_json::Value::from(pair.to_vec()))
            .collect::<Vec<_>>(),
    )
    .to_string()
}

fn parse_price(rates: &str, included: Decimal) -> Result<MeterPrice, StoreError> {
    let invalid = |e: String| StoreError::InvalidValue(format!("rate_card_meters.rates: {e}"));
    let pairs: Vec<(String, String)> =
        serde_json::from_str(rates).map_err(|e| invalid(e.to_string()))?;
    let tiers = pairs
        .iter()
        .map(|(t, p)| Ok((t.parse()?, p.parse()?)))
        .collect::<Result<Vec<(Decimal, Decimal)>, rust_decimal::Error>>()
        .map_err(|e| invalid(e.to_string()))?;
    MeterPrice::new(tiers, included).map_err(|e| invalid(e.to_string()))
}

impl MeterRow {
    fn into_found(self) -> Result<FoundMeter, StoreError> {
        let previous = match (&self.previous_rates, self.previous_included) {
            (Some(rates), Some(included)) => Some(parse_price(rates, included.0)?),
            _ => None,
        };
        Ok(FoundMeter {
            meter: RateCardMeter {
                price: parse_price(&self.rates, self.included_quantity.0)?,
                meter_id: self.meter_id,
                name: self.name,
                category: self.category,
                subcategory: self.subcategory,
                region: self.region,
                unit: self.unit,
                effective_date: self.effective_date,
            },
            previous,
        })
    }
}

/// A hex SHA-256 over the meters in id order: equal exactly when every stored field is.
fn fingerprint(meters: &[RateCardMeter]) -> String {
    let mut sorted: Vec<&RateCardMeter> = meters.iter().collect();
    sorted.sort_by(|a, b| a.meter_id.cmp(&b.meter_id));
    let mut context = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    for m in sorted {
        let line = serde_json::json!([
            m.meter_id,
            m.name,
            m.category,
            m.subcategory,
            m.region,
            m.unit,
            stored_rates(&m.price),
            m.price.included().normalize().to_string(),
            m.effective_date.map(|d| d.to_rfc3339()),
        ]);
        context.update(line.to_string().as_bytes());
        context.update(b"\n");
    }
    context
        .finish()
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `like` pattern for a word: `%word%` with `%`, `_` and `\` escaped.
fn contains_pattern(word: &str) -> String {
    let escaped = word
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

impl Store {
    /// The currencies of the customers Spendboard knows, in code order (the rate cards to
    /// read).
    ///
    /// # Errors
    /// [`StoreError::Database`], [`StoreError::InvalidValue`] for a corrupt code.
    #[tracing::instrument(skip(self))]
    pub async fn customer_currencies(&self) -> Result<Vec<Currency>, StoreError> {
        let codes: Vec<String> = on_pool!(self, pool => {
            sqlx::query_scalar("select distinct currency from customer_snapshots order by currency")
                .fetch_all(pool)
                .await?
        });
        codes.iter().map(|c| parse_currency(c)).collect()
    }

    /// Stores a rate card read from Partner Center: a new current version when its prices
    /// differ from the current one (keeping that one as the previous and deleting older
    /// ones), or else only the current version's `checked_at`. One transaction. Records the
    /// attempt as successful.
    ///
    /// # Errors
    /// [`StoreError::Database`]; nothing is written then.
    #[tracing::instrument(skip_all, fields(currency = %card.currency, meters = card.meters.len()))]
    pub async fn save_rate_card(&self, card: &NewRateCard) -> Result<SavedRateCard, StoreError> {
        let print = fingerprint(&card.meters);
        let facet = |of: fn(&RateCardMeter) -> &String| {
            let values: std::collections::BTreeSet<&String> = card.meters.iter().map(of).collect();
            serde_json::Value::from(values.into_iter().cloned().collect::<Vec<_>>()).to_string()
        };
        let (categories, regions) = (facet(|m| &m.category), facet(|m| &m.region));
        let read_at = stored_time(card.read_at);
        let currency = card.currency.code().to_owned();
        let saved = on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let current: Option<(String, i64, String)> = sqlx::query_as(
                "select id, version, fingerprint from rate_cards where currency = $1 \
                 order by version desc limit 1",
            )
            .bind(&currency)
            .fetch_optional(&mut *tx)
            .await?;
            let saved = match current {
                Some((id, _, stored)) if stored == print => {
                    sqlx::query("update rate_cards set checked_at = $2 where id = $1")
                        .bind(&id)
                        .bind(read_at)
                        .execute(&mut *tx)
                        .await?;
                    SavedRateCard::Unchanged
                }
                current => {
                    let id = uuid::Uuid::new_v4().to_string();
                    let version = current.as_ref().map_or(1, |(_, v, _)| v + 1);
                    sqlx::query(
                        "insert into rate_cards (id, currency, version, locale, fingerprint, \
                         meter_count, categories, regions, read_at, checked_at) \
                         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
                    )
                    .bind(&id)
                    .bind(&currency)
                    .bind(version)
                    .bind(&card.locale)
                    .bind(&print)
                    .bind(i64::try_from(card.meters.len()).unwrap_or(i64::MAX))
                    .bind(&categories)
                    .bind(&regions)
                    .bind(read_at)
                    .execute(&mut *tx)
                    .await?;
                    for batch in card.meters.chunks(INSERT_BATCH) {
                        let mut insert = QueryBuilder::new(
                            "insert into rate_card_meters (card_id, meter_id, name, category, \
                             subcategory, region, unit, rates, included_quantity, \
                             effective_date, search_text) ",
                        );
                        insert.push_values(batch, |mut row, m| {
                            row.push_bind(id.clone())
                                .push_bind(m.meter_id.clone())
                                .push_bind(m.name.clone())
                                .push_bind(m.category.clone())
                                .push_bind(m.subcategory.clone())
                                .push_bind(m.region.clone())
                                .push_bind(m.unit.clone())
                                .push_bind(stored_rates(&m.price))
                                .push_bind(DbDecimal(m.price.included().normalize()))
                                .push_bind(m.effective_date.map(stored_time))
                                .push_bind(search_name(&format!(
                                    "{} {} {} {}",
                                    m.name, m.category, m.subcategory, m.region
                                )));
                        });
                        insert.build().execute(&mut *tx).await?;
                    }
                    sqlx::query("delete from rate_cards where currency = $1 and version < $2")
                        .bind(&currency)
                        .bind(version - 1)
                        .execute(&mut *tx)
                        .await?;
                    SavedRateCard::NewVersion
                }
            };
            sqlx::query(
                "insert into rate_card_attempts (currency, attempted_at, error) values ($1, $2, null) \
                 on conflict (currency) do update set attempted_at = excluded.attempted_at, error = null",
            )
            .bind(&currency)
            .bind(read_at)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            saved
        });
        Ok(saved)
    }

    /// Records a failed attempt to read a currency's rate card; the stored versions stay.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    #[tracing::instrument(skip(self))]
    pub async fn record_rate_card_failure(
        &self,
        currency: &Currency,
        at: DateTime<Utc>,
        error: &str,
    ) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query(
                "insert into rate_card_attempts (currency, attempted_at, error) values ($1, $2, $3) \
                 on conflict (currency) do update set attempted_at = excluded.attempted_at, \
                 error = excluded.error",
            )
            .bind(currency.code())
            .bind(stored_time(at))
            .bind(error)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// The last attempt to read a currency's rate card, if any.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    #[tracing::instrument(skip(self))]
    pub async fn rate_card_attempt(
        &self,
        currency: &Currency,
    ) -> Result<Option<RateCardAttempt>, StoreError> {
        let row: Option<(DateTime<Utc>, Option<String>)> = on_pool!(self, pool => {
            sqlx::query_as("select attempted_at, error from rate_card_attempts where currency = $1")
                .bind(currency.code())
                .fetch_optional(pool)
                .await?
        });
        Ok(row.map(|(attempted_at, error)| RateCardAttempt {
            attempted_at,
            error,
        }))
    }

    /// The current version of each stored currency's rate card, in currency order.
    ///
    /// # Errors
    /// [`StoreError::Database`], [`StoreError::InvalidValue`] for a corrupt row.
    #[tracing::instrument(skip(self))]
    pub async fn rate_card_versions(&self) -> Result<Vec<RateCardVersion>, StoreError> {
        let rows: Vec<VersionRow> = on_pool!(self, pool => {
            sqlx::query_as(
                "select id, currency, version, meter_count, read_at, checked_at from rate_cards \
                 order by currency, version desc",
            )
            .fetch_all(pool)
            .await?
        });
        let mut versions: Vec<RateCardVersion> = Vec::new();
        for row in rows {
            match versions.last_mut() {
                Some(current) if current.currency.code() == row.currency => {
                    if current.previous.is_none() {
                        current.previous = Some((row.id, row.read_at));
                    }
                }
                _ => versions.push(RateCardVersion {
                    currency: parse_currency(&row.currency)?,
                    id: row.id,
                    version: row.version,
                    meter_count: count(row.meter_count),
                    read_at: row.read_at,
                    checked_at: row.checked_at,
                    previous: None,
                }),
            }
        }
        Ok(versions)
    }

    /// Meters of a rate card version matching `search`, with their previous price where it
    /// changed since `previous` (a version id), ordered by name, subcategory and region.
    ///
    /// # Errors
    /// [`StoreError::Database`], [`StoreError::InvalidValue`] for a corrupt row.
    #[tracing::instrument(skip(self))]
    pub async fn search_meters(
        &self,
        version: &RateCardVersion,
        search: &MeterSearch,
    ) -> Result<MeterPage, StoreError> {
        let previous = version.previous.as_ref().map(|(id, _)| id.clone());
        let words: Vec<String> = search_name(&search.text)
            .split_whitespace()
            .map(contains_pattern)
            .collect();
        let limit = i64::from(search.limit.min(MAX_METERS_RETURNED));
        let (rows, total) = on_pool!(self, pool => {
            let mut select = QueryBuilder::new(meter_select!());
            select.push_bind(previous.clone());
            select.push(changed_join!());
            select.push_bind(version.id.clone());
            // Counting needs the previous version only to count changed prices.
            let mut counted = QueryBuilder::new("select count(*) from rate_card_meters m ");
            if search.changed_only {
                counted.push("left join rate_card_meters p on p.card_id = ");
                counted.push_bind(previous.clone());
                counted.push(changed_join!());
            } else {
                counted.push("where m.card_id = ");
            }
            counted.push_bind(version.id.clone());
            for query in [&mut select, &mut counted] {
                for word in &words {
                    query.push(" and m.search_text like ");
                    query.push_bind(word.clone());
                    query.push(" escape '\\'");
                }
                if !search.category.is_empty() {
                    query.push(" and m.category = ");
                    query.push_bind(search.category.clone());
                }
                if !search.region.is_empty() {
                    query.push(" and m.region = ");
                    query.push_bind(search.region.clone());
                }
                if search.changed_only {
                    query.push(" and p.meter_id is not null");
                }
            }
            select.push(" order by m.name, m.subcategory, m.region, m.meter_id limit ");
            select.push_bind(limit);
            select.push(" offset ");
            select.push_bind(i64::from(search.offset));
            let rows: Vec<MeterRow> = select.build_query_as().fetch_all(pool).await?;
            let total: i64 = counted.build_query_scalar().fetch_one(pool).await?;
            (rows, total)
        });
        Ok(MeterPage {
            meters: rows
                .into_iter()
                .map(MeterRow::into_found)
                .collect::<Result<_, _>>()?,
            total: count(total),
        })
    }

    /// One meter of a rate card version by id, with its previous price where it changed.
    ///
    /// # Errors
    /// [`StoreError::Database`], [`StoreError::InvalidValue`] for a corrupt row.
    #[tracing::instrument(skip(self))]
    pub async fn rate_card_meter(
        &self,
        version: &RateCardVersion,
        meter_id: &str,
    ) -> Result<Option<FoundMeter>, StoreError> {
        let previous = version.previous.as_ref().map(|(id, _)| id.clone());
        let row: Option<MeterRow> = on_pool!(self, pool => {
            sqlx::query_as(concat!(
                meter_select!(),
                "$1",
                changed_join!(),
                "$2 and m.meter_id = $3"
            ))
            .bind(previous)
            .bind(&version.id)
            .bind(meter_id.to_lowercase())
            .fetch_optional(pool)
            .await?
        });
        row.map(MeterRow::into_found).transpose()
    }

    /// The same meter in every region of a rate card version: the meters with the name,
    /// category and subcategory of `meter`, and its unit, unordered.
    ///
    /// # Errors
    /// [`StoreError::Database`], [`StoreError::InvalidValue`] for a corrupt row.
    #[tracing::instrument(skip(self, meter), fields(meter = %meter.meter_id))]
    pub async fn meter_in_every_region(
        &self,
        version: &RateCardVersion,
        meter: &RateCardMeter,
    ) -> Result<Vec<FoundMeter>, StoreError> {
        let same = self
            .meters_named(version, &meter.name, &meter.category, &meter.subcategory)
            .await?;
        Ok(same
            .into_iter()
            .filter(|m| m.meter.unit == meter.unit)
            .collect())
    }

    /// The meters of a rate card version with this name, category and subcategory (the same
    /// meter in every region it is sold in, possibly in several units), unordered.
    ///
    /// # Errors
    /// [`StoreError::Database`], [`StoreError::InvalidValue`] for a corrupt row.
    #[tracing::instrument(skip(self))]
    pub async fn meters_named(
        &self,
        version: &RateCardVersion,
        name: &str,
        category: &str,
        subcategory: &str,
    ) -> Result<Vec<FoundMeter>, StoreError> {
        let previous = version.previous.as_ref().map(|(id, _)| id.clone());
        let rows: Vec<MeterRow> = on_pool!(self, pool => {
            sqlx::query_as(concat!(
                meter_select!(),
                "$1",
                changed_join!(),
                "$2 and m.name = $3 and m.category = $4 and m.subcategory = $5"
            ))
            .bind(previous)
            .bind(&version.id)
            .bind(name)
            .bind(category)
            .bind(subcategory)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(MeterRow::into_found).collect()
    }

    /// The categories and regions of a rate card version, each sorted (for search filters).
    ///
    /// # Errors
    /// [`StoreError::Database`], [`StoreError::InvalidValue`] for a corrupt row.
    #[tracing::instrument(skip(self))]
    pub async fn rate_card_facets(
        &self,
        version: &RateCardVersion,
    ) -> Result<(Vec<String>, Vec<String>), StoreError> {
        let row: Option<(String, String)> = on_pool!(self, pool => {
            sqlx::query_as("select categories, regions from rate_cards where id = $1")
                .bind(&version.id)
                .fetch_optional(pool)
                .await?
        });
        let Some((categories, regions)) = row else {
            return Ok((Vec::new(), Vec::new()));
        };
        let list = |text: &str| {
            serde_json::from_str::<Vec<String>>(text)
                .map_err(|e| StoreError::InvalidValue(format!("rate_cards facets: {e}")))
        };
        Ok((list(&categories)?, list(&regions)?))
    }
}

impl Store {
    /// How many stored customers of `currency` are legacy (MS-AZR-0145P) and how many are
    /// on the Azure plan.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    #[tracing::instrument(skip(self))]
    pub async fn customer_plans_in(&self, currency: &Currency) -> Result<(u64, u64), StoreError> {
        let rows: Vec<(bool, i64)> = on_pool!(self, pool => {
            sqlx::query_as(
                "select is_azure_plan, count(*) from customer_snapshots where currency = $1 \
                 group by is_azure_plan",
            )
            .bind(currency.code())
            .fetch_all(pool)
            .await?
        });
        let of = |plan: bool| {
            rows.iter()
                .find(|(azure, _)| *azure == plan)
                .map_or(0, |(_, n)| count(*n))
        };
        Ok((of(false), of(true)))
    }
}
