//! The store, on SQLite and PostgreSQL: every test runs on both (see `databases`).

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use actix_session::storage::{SessionKey, SessionStore};
use chrono::{DateTime, NaiveDate, SubsecRound, TimeDelta, TimeZone, Utc};
use rust_decimal::Decimal;
use spendboard::domain::{
    Currency, CustomerId, ForecastMethod, Money, SignInName, UsageStatus, percent_used,
};
use spendboard::routes::session_store::DbSessionStore;
use spendboard::store::{
    BudgetChangeDecision, BudgetChangeIntent, ChangeOutcome, CurrencyTotal, CustomerSnapshot,
    CustomerUsageSummaryRow, DailyUsage, DashboardCache, DashboardQuery, DecidedBy, LeaseScope,
    OwnershipCache, RunState, SnapshotForecast, SortKey, StoredTokens, SubscriptionUsage, User,
    search_name,
};
use uuid::Uuid;

use crate::databases::{TestDb, on_both_databases};
use crate::helpers::user_id;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn money(amount: &str, currency: &str) -> Money {
    Money::new(d(amount), Currency::parse(currency).unwrap())
}

fn id(n: u128) -> CustomerId {
    CustomerId::from(Uuid::from_u128(
        0x5eed_0000_0000_4000_8000_0000_0000_0000 + n,
    ))
}

fn at(day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, hour, minute, 0)
        .unwrap()
}

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
}

/// A snapshot whose status and percentage follow the domain rules.
fn snapshot(
    n: u128,
    name: &str,
    currency: &str,
    spend: &str,
    budget: Option<&str>,
) -> CustomerSnapshot {
    let (spend, budget) = (d(spend), budget.map(d));
    let money = |amount| Money::new(amount, Currency::parse(currency).unwrap());
    CustomerSnapshot {
        customer_id: id(n),
        company_name: name.to_owned(),
        domain: Some(format!("customer{n}.onmicrosoft.com")),
        is_azure_plan: n.is_multiple_of(2),
        total_cost: money(spend),
        usd_total_cost: None,
        budget: budget.map(money),
        percent_used: percent_used(spend, budget),
        status: UsageStatus::classify(spend, budget, d("80")),
        last_modified: at(20, 7, 0),
        billing_period_start: day(1),
        fetched_at: at(21, 6, 0),
        forecast: None,
    }
}

fn ids(rows: &[CustomerSnapshot]) -> Vec<CustomerId> {
    rows.iter().map(|s| s.customer_id).collect()
}

fn query(sort: SortKey, descending: bool) -> DashboardQuery {
    DashboardQuery {
        sort,
        descending,
        page: 1,
        page_size: 1000,
        ..DashboardQuery::default()
    }
}

async fn amounts_and_times_round_trip_exactly(db: &TestDb) {
    let mut precise = snapshot(1, "Contoso", "SEK", "120.5682999999995904716", Some("20"));
    precise.usd_total_cost = Some(Money::usd(d("33.280000000000001044")));
    // 7-digit fractions as Partner Center sends them are kept to the microsecond.
    precise.last_modified = "2019-09-17T17:08:11.1433333+00:00".parse().unwrap();
    precise.fetched_at = "2026-11-21T06:00:00.123456Z".parse().unwrap();
    let mut extremes = snapshot(2, "Fabrikam", "EUR", "79228162514264337593543950335", None);
    extremes.budget = Some(money("100.50", "EUR"));
    extremes.usd_total_cost = Some(Money::usd(d("0.0000000000000000000000000001")));
    db.store
        .upsert_snapshots(&[precise.clone(), extremes.clone()])
        .await
        .unwrap();

    let read = db.store.snapshot(&id(1)).await.unwrap().unwrap();
    assert_eq!(
        read.total_cost.amount().to_string(),
        "120.5682999999995904716",
        "{}",
        db.kind()
    );
    assert_eq!(
        read.usd_total_cost.as_ref().unwrap().amount().to_string(),
        "33.280000000000001044"
    );
    assert_eq!(read.percent_used, Some(d("602.84")));
    assert_eq!(read.status, UsageStatus::OverBudget);
    assert_eq!(read.last_modified, precise.last_modified.trunc_subsecs(6));
    assert_eq!(read.last_modified.timestamp_subsec_micros(), 143_333);
    assert_eq!(
        read,
        CustomerSnapshot {
            last_modified: read.last_modified,
            ..precise
        }
    );

    let read = db.store.snapshot(&id(2)).await.unwrap().unwrap();
    assert_eq!(read.total_cost.amount(), Decimal::MAX);
    assert_eq!(
        read.usd_total_cost.as_ref().unwrap().amount().to_string(),
        "0.0000000000000000000000000001"
    );
    // The scale survives too: 100.50 stays 100.50, not 100.5.
    assert_eq!(read.budget.as_ref().unwrap().amount().to_string(), "100.50");
    assert_eq!(read, extremes);

    assert_eq!(db.store.snapshot(&id(3)).await.unwrap(), None);
}
on_both_databases!(amounts_and_times_round_trip_exactly);

/// The order the dashboard must give, computed here independently of the store's SQL:
/// the sort column (missing values last in both directions), then name, then id.
fn expected_order(rows: &[CustomerSnapshot], sort: SortKey, descending: bool) -> Vec<CustomerId> {
    fn nulls_last<T: Ord>(a: Option<T>, b: Option<T>, descending: bool) -> Ordering {
        match (a, b) {
            (Some(a), Some(b)) if descending => b.cmp(&a),
            (Some(a), Some(b)) => a.cmp(&b),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        }
    }
    let mut sorted = rows.to_vec();
    sorted.sort_by(|a, b| {
        let tie = || {
            search_name(&a.company_name)
                .cmp(&search_name(&b.company_name))
                .then(a.customer_id.to_string().cmp(&b.customer_id.to_string()))
        };
        let by_key = match sort {
            SortKey::Name => {
                let order = tie();
                return if descending { order.reverse() } else { order };
            }
            SortKey::Spend => nulls_last(
                Some(a.total_cost.amount()),
                Some(b.total_cost.amount()),
                descending,
            ),
            SortKey::Budget => nulls_last(
                a.budget.as_ref().map(Money::amount),
                b.budget.as_ref().map(Money::amount),
                descending,
            ),
            SortKey::PercentUsed => nulls_last(a.percent_used, b.percent_used, descending),
            SortKey::Status => nulls_last(Some(a.status), Some(b.status), descending),
            SortKey::Projected => nulls_last(
                a.forecast.as_ref().map(|f| f.projected_total.amount()),
                b.forecast.as_ref().map(|f| f.projected_total.amount()),
                descending,
            ),
            SortKey::BudgetCrossing => {
                nulls_last(a.days_until_crossing(), b.days_until_crossing(), descending)
            }
            SortKey::Currency => nulls_last(
                Some(a.currency().code()),
                Some(b.currency().code()),
                descending,
            ),
            // Freshest data first when ascending.
            SortKey::DataAge => nulls_last(Some(a.fetched_at), Some(b.fetched_at), !descending),
        };
        by_key.then_with(tie)
    });
    ids(&sorted)
}

async fn the_dashboard_sorts_by_every_column_with_numbers_in_numeric_order(db: &TestDb) {
    let mut rows = vec![
        snapshot(1, "Nine", "EUR", "9", Some("10")),
        snapshot(2, "ten", "USD", "10", Some("9")),
        snapshot(3, "Hundred", "EUR", "100.5", Some("1000")),
        snapshot(4, "Two", "JPY", "2", None),
        snapshot(5, "eleven", "GBP", "11", Some("100")),
        snapshot(6, "Zero", "EUR", "0", Some("0")),
        snapshot(7, "Ärzte", "CHF", "79.99", Some("100")),
        snapshot(8, "nine", "EUR", "9.0001", None),
        snapshot(9, "Big", "KRW", "1000000000.5", Some("99999999999")),
    ];
    for (i, row) in rows.iter_mut().enumerate() {
        row.fetched_at = at(21, 6, 0) + TimeDelta::minutes(((i * 7) % 5) as i64);
        // Forecasts on most rows, with projections that sort wrong as text and crossing
        // days before, on and after the data's day.
        if i % 4 != 3 {
            row.forecast = Some(SnapshotForecast {
                projected_total: Money::new(
                    row.total_cost.amount() * d("1.5") + Decimal::from(i as u32 % 3),
                    row.currency().clone(),
                ),
                crosses_budget_on: (i % 3 != 0).then(|| day(10 + (i as u32 * 5) % 20)),
                method: ForecastMethod::RecentDailyAverage { days: 7 },
            });
        }
    }
    db.store.upsert_snapshots(&rows).await.unwrap();

    for sort in SortKey::ALL {
        for descending in [false, true] {
            let page = db
                .store
                .dashboard_page(&query(sort, descending))
                .await
                .unwrap();
            assert_eq!(
                ids(&page.rows),
                expected_order(&rows, sort, descending),
                "{} sorted by {sort:?}, descending: {descending}",
                db.kind()
            );
            assert_eq!(page.total_rows, 9);
        }
    }
    // The case the integer keys exist for: as text, "10" < "9".
    let by_spend = db
        .store
        .dashboard_page(&query(SortKey::Spend, false))
        .await
        .unwrap();
    let spends: Vec<String> = by_spend
        .rows
        .iter()
        .map(|r| r.total_cost.amount().to_string())
        .collect();
    assert_eq!(
        spends,
        [
            "0",
            "2",
            "9",
            "9.0001",
            "10",
            "11",
            "79.99",
            "100.5",
            "1000000000.5"
        ]
    );
}
on_both_databases!(the_dashboard_sorts_by_every_column_with_numbers_in_numeric_order);

/// The dashboard's cached view gives exactly the pages the database gives (every sort and
/// direction, status filter, search and page), and its totals; and every kind of write to the
/// snapshots shows in it at once.
async fn the_cached_dashboard_view_matches_the_database_and_follows_every_write(db: &TestDb) {
    let names = [
        "Nine",
        "ten",
        "Hundred",
        "Two",
        "eleven",
        "Zero",
        "Ärzte",
        "nine",
        "Big",
        "Café 100%",
        "cafe_b",
        "Müller GmbH",
        "muller gmbh",
        "A\\B",
    ];
    let currencies = ["EUR", "USD", "JPY", "GBP", "CHF"];
    let mut rows: Vec<CustomerSnapshot> = (0..60u32)
        .map(|i| {
            let name = names[i as usize % names.len()];
            let spend = format!("{}.{}", (i * 37) % 23, i % 7);
            let budget = (i % 5 != 0).then(|| format!("{}", (i * 13) % 29));
            let mut row = snapshot(
                u128::from(i) + 1,
                name,
                currencies[i as usize % currencies.len()],
                &spend,
                budget.as_deref(),
            );
            row.fetched_at = at(21, 6, 0) + TimeDelta::minutes(i64::from(i % 4));
            if i % 4 != 3 {
                row.forecast = Some(SnapshotForecast {
                    projected_total: Money::new(
                        row.total_cost.amount() * d("1.5"),
                        row.currency().clone(),
                    ),
                    crosses_budget_on: (i % 3 != 0).then(|| day(10 + (i * 5) % 20)),
                    method: ForecastMethod::RecentDailyAverage { days: 7 },
                });
            }
            row
        })
        .collect();
    db.store.upsert_snapshots(&rows).await.unwrap();
    let cache = DashboardCache::default();
    // A portfolio of every third customer, and of one Spendboard does not list.
    let owner = SignInName::parse("olga@contoso.com").unwrap();
    let owned: Vec<CustomerId> = (1..=60).step_by(3).chain([999]).map(id).collect();
    db.store
        .assign_owner(&owned, &owner, user_id(1))
        .await
        .unwrap();
    let portfolio = db.store.ownership().await.unwrap().portfolio(&owner);
    assert_eq!(portfolio.customers.len(), 21);

    let same_as_database = async || {
        let view = db.store.current_dashboard_view(&cache).await.unwrap();
        assert_eq!(
            view.totals,
            db.store.dashboard_totals().await.unwrap(),
            "{}",
            db.kind()
        );
        for sort in SortKey::ALL {
            for descending in [false, true] {
                for status in [
                    None,
                    Some(UsageStatus::OverBudget),
                    Some(UsageStatus::NearBudget),
                    Some(UsageStatus::OnPace),
                    Some(UsageStatus::WithinBudget),
                    Some(UsageStatus::NoBudget),
                ] {
                    for search in [
                        None,
                        Some(" GMBH "),
                        Some("cafe"),
                        Some("100%"),
                        Some("_"),
                        Some("\\"),
                        Some("zz"),
                    ] {
                        for page in [1, 2, 7] {
                            let query = DashboardQuery {
                                search: search.map(str::to_owned),
                                status,
                                portfolio: None,
                                sort,
                                descending,
                                page,
                                page_size: 7,
                            };
                            assert_eq!(
                                view.page(&query),
                                db.store.dashboard_page(&query).await.unwrap(),
                                "{} {query:?}",
                                db.kind()
                            );
                        }
                    }
                }
            }
        }
        // One owner's customers: pages, counts and totals.
        let all = view
            .page(&DashboardQuery {
                page_size: 10_000,
                ..DashboardQuery::default()
            })
            .rows;
        let everyone: HashSet<CustomerId> = all.iter().map(|r| r.customer_id).collect();
        assert_eq!(view.totals_of(&everyone).unwrap(), view.totals);
        let totals = view.totals_of(&portfolio.customers).unwrap();
        for sort in [
            SortKey::Name,
            SortKey::Spend,
            SortKey::Status,
            SortKey::DataAge,
        ] {
            for descending in [false, true] {
                for status in [
                    None,
                    Some(UsageStatus::OverBudget),
                    Some(UsageStatus::NoBudget),
                ] {
                    for search in [None, Some("cafe")] {
                        for page in [1, 2] {
                            let query = DashboardQuery {
                                search: search.map(str::to_owned),
                                status,
                                portfolio: Some(Arc::clone(&portfolio)),
                                sort,
                                descending,
                                page,
                                page_size: 7,
                            };
                            let from_view = view.page(&query);
                            assert_eq!(
                                from_view,
                                db.store.dashboard_page(&query).await.unwrap(),
                                "{} {query:?}",
                                db.kind()
                            );
                            assert!(
                                from_view
                                    .rows
                                    .iter()
                                    .all(|r| portfolio.customers.contains(&r.customer_id))
                            );
                            let expected = match (status, search) {
                                (None, None) => Some(totals.customers),
                                (Some(UsageStatus::OverBudget), None) => Some(totals.over_budget),
                                (Some(UsageStatus::NoBudget), None) => Some(totals.no_budget),
                                _ => None,
                            };
                            if let Some(expected) = expected {
                                assert_eq!(from_view.total_rows, expected, "{query:?}");
                            }
                        }
                    }
                }
            }
        }
        let listed = portfolio
            .customers
            .iter()
            .filter(|c| everyone.contains(c))
            .count() as u64;
        assert_eq!(
            totals.customers, listed,
            "a customer not listed is not counted"
        );
        let spend: Decimal = all
            .iter()
            .filter(|r| portfolio.customers.contains(&r.customer_id))
            .map(|r| r.total_cost.amount())
            .sum();
        assert_eq!(
            (totals.per_currency.iter())
                .map(|t| t.total.amount())
                .sum::<Decimal>(),
            spend
        );
        view.version
    };
    let mut version = same_as_database().await;

    // A refresh's upsert, a budget change, a forecast change, customers who left.
    rows[0].total_cost = Money::new(d("999"), rows[0].currency().clone());
    db.store.upsert_snapshots(&rows[..1]).await.unwrap();
    let next = same_as_database().await;
    assert!(next > version);
    version = next;
    assert!(
        db.store
            .update_snapshot_budget(&id(2), None, UsageStatus::NoBudget, None)
            .await
            .unwrap()
    );
    let next = same_as_database().await;
    assert!(next > version);
    version = next;
    assert!(
        db.store
            .update_snapshot_forecast(&id(3), day(20), UsageStatus::OnPace, None)
            .await
            .unwrap()
    );
    let next = same_as_database().await;
    assert!(next > version);
    version = next;
    let keep: Vec<CustomerId> = rows[..40].iter().map(|r| r.customer_id).collect();
    assert_eq!(db.store.delete_snapshots_not_in(&keep).await.unwrap(), 20);
    let next = same_as_database().await;
    assert!(next > version);
    assert_eq!(
        db.store
            .current_dashboard_view(&cache)
            .await
            .unwrap()
            .totals
            .customers,
        40
    );
    // Nothing written, nothing changed: the same view.
    let before = db.store.current_dashboard_view(&cache).await.unwrap();
    assert_eq!(db.store.delete_snapshots_not_in(&keep).await.unwrap(), 0);
    let after = db.store.current_dashboard_view(&cache).await.unwrap();
    assert!(std::sync::Arc::ptr_eq(&before, &after));
    // A second instance (its own cache) on the same database sees the same.
    let other = DashboardCache::default();
    assert_eq!(
        db.store
            .current_dashboard_view(&other)
            .await
            .unwrap()
            .totals,
        after.totals
    );
}
on_both_databases!(the_cached_dashboard_view_matches_the_database_and_follows_every_write);

async fn search_ignores_case_and_matches_wildcards_literally(db: &TestDb) {
    let names = [
        "Café Crème",
        "CAFÉ NOIR",
        "Cafe Latte",
        "100% Cotton",
        "1000 Cotton",
        "snake_case Ltd",
        "snakeXcase Ltd",
        "Smith & Sons",
        "Smiths and Sons",
        r"Back\slash",
    ];
    let rows: Vec<_> = names
        .iter()
        .enumerate()
        .map(|(i, name)| snapshot(i as u128, name, "EUR", "1", None))
        .collect();
    db.store.upsert_snapshots(&rows).await.unwrap();

    let found = async |search: &str| -> Vec<String> {
        let page = db
            .store
            .dashboard_page(&DashboardQuery {
                search: Some(search.to_owned()),
                ..DashboardQuery::default()
            })
            .await
            .unwrap();
        assert_eq!(page.total_rows as usize, page.rows.len());
        page.rows.into_iter().map(|r| r.company_name).collect()
    };
    assert_eq!(
        found("café").await,
        ["Café Crème", "Cafe Latte", "CAFÉ NOIR"],
        "accents and case are ignored, {}",
        db.kind()
    );
    assert_eq!(
        found("CREME").await,
        ["Café Crème"],
        "typed without accents"
    );
    assert_eq!(found("ÈME").await, ["Café Crème"]);
    assert_eq!(found("100%").await, ["100% Cotton"]);
    assert_eq!(found("%").await, ["100% Cotton"]);
    assert_eq!(found("e_c").await, ["snake_case Ltd"]);
    assert_eq!(found("& s").await, ["Smith & Sons"]);
    assert_eq!(found(r"k\s").await, [r"Back\slash"]);
    assert_eq!(found("  ").await.len(), names.len());
    assert!(found("nobody").await.is_empty());
}
on_both_databases!(search_ignores_case_and_matches_wildcards_literally);

async fn paging_is_stable_and_shows_every_match_exactly_once(db: &TestDb) {
    // Equal spend and partly equal names: only the tie-breakers order them.
    let rows: Vec<_> = (0..23)
        .map(|n| {
            let name = format!("Customer {}", n % 4);
            let budget = if n % 3 == 0 { None } else { Some("10") };
            snapshot(n, &name, "EUR", "9", budget)
        })
        .collect();
    db.store.upsert_snapshots(&rows).await.unwrap();

    for (status, expected) in [
        (None, 23),
        (Some(UsageStatus::NoBudget), 8),
        (Some(UsageStatus::NearBudget), 15),
        (Some(UsageStatus::OverBudget), 0),
    ] {
        let mut seen = Vec::new();
        for page in 1..=6 {
            let result = db
                .store
                .dashboard_page(&DashboardQuery {
                    status,
                    sort: SortKey::Spend,
                    descending: true,
                    page,
                    page_size: 5,
                    ..DashboardQuery::default()
                })
                .await
                .unwrap();
            assert_eq!(result.total_rows, expected, "{} {status:?}", db.kind());
            assert!(
                result
                    .rows
                    .iter()
                    .all(|r| status.is_none_or(|s| r.status == s))
            );
            seen.extend(ids(&result.rows));
        }
        let unique: HashSet<_> = seen.iter().collect();
        assert_eq!(seen.len(), expected as usize, "{status:?}");
        assert_eq!(unique.len(), seen.len(), "a customer appeared on two pages");
        let filtered: Vec<_> = rows
            .iter()
            .filter(|r| status.is_none_or(|s| r.status == s))
            .cloned()
            .collect();
        assert_eq!(seen, expected_order(&filtered, SortKey::Spend, true));
    }
}
on_both_databases!(paging_is_stable_and_shows_every_match_exactly_once);

async fn totals_are_exact_per_currency_and_never_mixed(db: &TestDb) {
    let mut rows = vec![
        snapshot(1, "A", "EUR", "0.1", Some("0.1")),
        snapshot(2, "B", "EUR", "0.2", Some("0.24")),
        snapshot(3, "C", "EUR", "120.5682999999995904716", None),
        snapshot(4, "D", "JPY", "98765", Some("1000000")),
        snapshot(5, "E", "USD", "33.280000000000001044", None),
    ];
    rows[0].usd_total_cost = Some(Money::usd(d("0.11")));
    rows[1].usd_total_cost = Some(Money::usd(d("0.22")));
    rows[2].usd_total_cost = Some(Money::usd(d("130.0000000000000000001")));
    rows[3].usd_total_cost = None;
    rows[4].usd_total_cost = Some(Money::usd(d("33.280000000000001044")));
    rows[0].fetched_at = at(21, 5, 59);
    db.store.upsert_snapshots(&rows).await.unwrap();

    let totals = db.store.dashboard_totals().await.unwrap();
    assert_eq!(
        totals.per_currency,
        vec![
            CurrencyTotal {
                total: money("120.8682999999995904716", "EUR"),
                usd_total: Some(Money::usd(d("130.3300000000000000001"))),
                customers: 3,
                usd_customers: 3,
            },
            CurrencyTotal {
                total: money("98765", "JPY"),
                usd_total: None,
                customers: 1,
                usd_customers: 0,
            },
            CurrencyTotal {
                total: money("33.280000000000001044", "USD"),
                usd_total: Some(Money::usd(d("33.280000000000001044"))),
                customers: 1,
                usd_customers: 1,
            },
        ],
        "{}",
        db.kind()
    );
    assert_eq!(
        (totals.over_budget, totals.near_budget, totals.no_budget),
        (1, 1, 2)
    );
    assert_eq!(totals.customers, 5);
    assert_eq!(totals.oldest_fetched_at, Some(at(21, 5, 59)));

    db.store.delete_snapshots_not_in(&[]).await.unwrap();
    let empty = db.store.dashboard_totals().await.unwrap();
    assert_eq!((empty.customers, empty.per_currency.len()), (0, 0));
    assert_eq!(empty.oldest_fetched_at, None);
}
on_both_databases!(totals_are_exact_per_currency_and_never_mixed);

async fn a_budget_change_updates_status_percentage_and_the_status_filter(db: &TestDb) {
    db.store
        .upsert_snapshots(&[snapshot(1, "Contoso", "EUR", "90", None)])
        .await
        .unwrap();
    let over = |db: &TestDb| {
        let store = db.store.clone();
        async move {
            let query = DashboardQuery {
                status: Some(UsageStatus::OverBudget),
                ..DashboardQuery::default()
            };
            store.dashboard_page(&query).await.unwrap().total_rows
        }
    };
    assert_eq!(over(db).await, 0);

    let budget = Some(d("50.00"));
    let status = UsageStatus::classify(d("90"), budget, d("80"));
    let updated = db
        .store
        .update_snapshot_budget(&id(1), budget, status, percent_used(d("90"), budget))
        .await
        .unwrap();
    assert!(updated);
    let read = db.store.snapshot(&id(1)).await.unwrap().unwrap();
    assert_eq!(
        read.budget.as_ref().unwrap().amount().to_string(),
        "50.00",
        "{}",
        db.kind()
    );
    assert_eq!(read.status, UsageStatus::OverBudget);
    assert_eq!(read.percent_used, Some(d("180")));
    assert_eq!(over(db).await, 1);
    let by_budget = db
        .store
        .dashboard_page(&query(SortKey::Budget, false))
        .await
        .unwrap();
    assert_eq!(ids(&by_budget.rows), [id(1)]);

    // Removing it.
    assert!(
        db.store
            .update_snapshot_budget(&id(1), None, UsageStatus::NoBudget, None)
            .await
            .unwrap()
    );
    let read = db.store.snapshot(&id(1)).await.unwrap().unwrap();
    assert_eq!(
        (read.budget, read.percent_used, read.status),
        (None, None, UsageStatus::NoBudget)
    );
    assert_eq!(over(db).await, 0);

    assert!(
        !db.store
            .update_snapshot_budget(&id(2), None, UsageStatus::NoBudget, None)
            .await
            .unwrap()
    );
}
on_both_databases!(a_budget_change_updates_status_percentage_and_the_status_filter);

async fn customers_who_left_lose_their_snapshot_but_keep_their_history(db: &TestDb) {
    let rows: Vec<_> = (1..=4)
        .map(|n| snapshot(n, &format!("C{n}"), "EUR", "1", None))
        .collect();
    db.store.upsert_snapshots(&rows).await.unwrap();
    let history = DailyUsage {
        customer_id: id(4),
        day: day(20),
        billing_period_start: day(1),
        total_cost: money("1", "EUR"),
        fetched_at: at(20, 6, 0),
    };
    db.store
        .record_daily_usage(std::slice::from_ref(&history))
        .await
        .unwrap();

    let deleted = db
        .store
        .delete_snapshots_not_in(&[id(1), id(3)])
        .await
        .unwrap();
    assert_eq!(deleted, 2, "{}", db.kind());
    let left = db
        .store
        .dashboard_page(&query(SortKey::Name, false))
        .await
        .unwrap();
    assert_eq!(ids(&left.rows), [id(1), id(3)]);
    assert_eq!(
        db.store.daily_usage(&id(4), day(1), day(30)).await.unwrap(),
        [history]
    );

    // Upserting again replaces, never duplicates.
    let mut renamed = snapshot(1, "Renamed", "EUR", "2", None);
    renamed.fetched_at = at(21, 7, 0);
    db.store
        .upsert_snapshots(std::slice::from_ref(&renamed))
        .await
        .unwrap();
    assert_eq!(db.store.snapshot(&id(1)).await.unwrap(), Some(renamed));
    assert_eq!(db.store.dashboard_totals().await.unwrap().customers, 2);
}
on_both_databases!(customers_who_left_lose_their_snapshot_but_keep_their_history);

async fn daily_history_keeps_one_row_per_day_with_the_latest_value(db: &TestDb) {
    let eur = Currency::parse("EUR").unwrap();
    let usage = |d_: u32, cost: &str, fetched: DateTime<Utc>| DailyUsage {
        customer_id: id(1),
        day: day(d_),
        billing_period_start: day(1),
        total_cost: Money::new(d(cost), eur.clone()),
        fetched_at: fetched,
    };
    db.store
        .record_daily_usage(&[
            usage(19, "10.5", at(19, 6, 0)),
            usage(20, "20.25", at(20, 6, 0)),
        ])
        .await
        .unwrap();
    // Later the same day: replaces. A late-arriving older read: ignored.
    db.store
        .record_daily_usage(&[usage(20, "21.125", at(20, 18, 0))])
        .await
        .unwrap();
    db.store
        .record_daily_usage(&[usage(20, "20.5", at(20, 12, 0))])
        .await
        .unwrap();
    db.store
        .record_daily_usage(&[usage(21, "30", at(21, 6, 0))])
        .await
        .unwrap();

    let history = db
        .store
        .daily_usage(&id(1), day(20), day(21))
        .await
        .unwrap();
    assert_eq!(
        history,
        [
            usage(20, "21.125", at(20, 18, 0)),
            usage(21, "30", at(21, 6, 0))
        ],
        "{}",
        db.kind()
    );
    assert_eq!(
        db.store
            .daily_usage(&id(1), day(1), day(30))
            .await
            .unwrap()
            .len(),
        3
    );
    assert!(
        db.store
            .daily_usage(&id(2), day(1), day(30))
            .await
            .unwrap()
            .is_empty()
    );
}
on_both_databases!(daily_history_keeps_one_row_per_day_with_the_latest_value);

async fn subscription_usage_is_replaced_as_a_whole_and_the_summary_saved(db: &TestDb) {
    let sek = Currency::parse("SEK").unwrap();
    let sub = |n: u32, name: &str, cost: &str| SubscriptionUsage {
        customer_id: id(1),
        subscription_id: format!("sub-{n}"),
        name: name.to_owned(),
        offer_id: "MS-AZR-0145P".to_owned(),
        status: "active".to_owned(),
        total_cost: Money::new(d(cost), sek.clone()),
        usd_total_cost: None,
        last_modified: at(20, 7, 0),
        fetched_at: at(21, 6, 0),
    };
    let mut other = sub(9, "Other customer's", "1");
    other.customer_id = id(2);
    db.store
        .replace_subscription_usage(&id(2), &[other.clone()])
        .await
        .unwrap();
    db.store
        .replace_subscription_usage(
            &id(1),
            &[
                sub(1, "b-dev", "1.5"),
                sub(2, "a-prod", "120.5682999999995904716"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(
        db.store.subscription_usage(&id(1)).await.unwrap(),
        [
            sub(2, "a-prod", "120.5682999999995904716"),
            sub(1, "b-dev", "1.5")
        ],
        "{}",
        db.kind()
    );
    db.store
        .replace_subscription_usage(&id(1), &[sub(3, "c-new", "7")])
        .await
        .unwrap();
    assert_eq!(
        db.store.subscription_usage(&id(1)).await.unwrap(),
        [sub(3, "c-new", "7")]
    );
    assert_eq!(
        db.store.subscription_usage(&id(2)).await.unwrap(),
        [other.clone()]
    );
    // A row of another customer is refused, and nothing changes.
    assert!(
        db.store
            .replace_subscription_usage(&id(1), &[other])
            .await
            .is_err()
    );
    assert_eq!(db.store.subscription_usage(&id(1)).await.unwrap().len(), 1);

    assert_eq!(db.store.customer_usage_summary(&id(1)).await.unwrap(), None);
    let mut summary = CustomerUsageSummaryRow {
        customer_id: id(1),
        billing_start: at(1, 0, 0),
        billing_end: Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap(),
        total_cost: Money::new(d("128.0682999999995904716"), sek.clone()),
        usd_total_cost: Some(Money::usd(d("12.34"))),
        budget: Some(Money::new(d("200"), sek)),
        last_modified: at(20, 7, 0),
        fetched_at: at(21, 6, 0),
    };
    db.store
        .save_customer_usage_summary(&summary)
        .await
        .unwrap();
    summary.budget = None;
    summary.fetched_at = at(21, 7, 0);
    db.store
        .save_customer_usage_summary(&summary)
        .await
        .unwrap();
    assert_eq!(
        db.store.customer_usage_summary(&id(1)).await.unwrap(),
        Some(summary)
    );
}
on_both_databases!(subscription_usage_is_replaced_as_a_whole_and_the_summary_saved);

fn budget_intent(n: u32, new_amount: Option<&str>) -> BudgetChangeIntent {
    BudgetChangeIntent {
        requested_at: at(21, 8, n),
        user_id: user_id(0xaa),
        user_name: "Ada Lovelace".to_owned(),
        customer_id: id(1),
        customer_name: "Contoso".to_owned(),
        currency: Currency::parse("EUR").unwrap(),
        seen_amount: Some(money("100.00", "EUR")),
        new_amount: new_amount.map(|a| money(a, "EUR")),
        reason: Some(format!("change {n}")),
        request_id: uuid::Uuid::from_u128(u128::from(n)),
        batch_id: None,
    }
}

fn decision(outcome: ChangeOutcome, held: Option<Option<&str>>) -> BudgetChangeDecision {
    BudgetChangeDecision {
        outcome,
        held: held.map(|h| h.map(|a| money(a, "EUR"))),
        decided_by: DecidedBy::Reply,
        error_code: (outcome == ChangeOutcome::Refused).then(|| "3000".to_owned()),
        detail: (outcome != ChangeOutcome::Applied).then(|| "Partner Center said no".to_owned()),
    }
}

async fn budget_changes_are_intents_then_one_outcome_append_only_newest_first(db: &TestDb) {
    let first = budget_intent(1, Some("150.00"));
    let second = budget_intent(2, Some("-1"));
    let third = budget_intent(3, None);
    let mut other_customer = budget_intent(4, None);
    other_customer.customer_id = id(2);
    let mut ids_ = Vec::new();
    for intent in [&first, &second, &third, &other_customer] {
        ids_.push(db.store.record_budget_change(intent).await.unwrap());
    }
    assert!(
        ids_.windows(2).all(|w| w[0] < w[1]),
        "ids increase: {ids_:?}"
    );
    let applied = decision(ChangeOutcome::Applied, Some(Some("150.00")));
    let refused = decision(ChangeOutcome::Refused, Some(Some("100.00")));
    assert!(
        db.store
            .decide_budget_change(ids_[0], &applied)
            .await
            .unwrap()
    );
    assert!(
        db.store
            .decide_budget_change(ids_[1], &refused)
            .await
            .unwrap()
    );
    // One outcome per change: a second decision is refused, the first one stands.
    assert!(
        !db.store
            .decide_budget_change(ids_[0], &decision(ChangeOutcome::NotApplied, None))
            .await
            .unwrap()
    );

    let log = db
        .store
        .budget_changes_for_customer(&id(1), 10)
        .await
        .unwrap();
    let outcomes: Vec<_> = log
        .iter()
        .map(|e| e.decision.as_ref().map(|(_, d)| d.outcome))
        .collect();
    assert_eq!(
        outcomes,
        [
            None,
            Some(ChangeOutcome::Refused),
            Some(ChangeOutcome::Applied)
        ],
        "{}",
        db.kind()
    );
    assert_eq!(log[0].id, ids_[2]);
    assert_eq!(log[0].intent, third);
    assert_eq!(log[1].decision.as_ref().unwrap().1, refused);
    assert_eq!(log[2].decision.as_ref().unwrap().1, applied);
    assert_eq!(
        (log[2].intent.new_amount.as_ref())
            .map(|a| a.amount().to_string())
            .as_deref(),
        Some("150.00")
    );
    assert_eq!(
        db.store
            .budget_changes_for_customer(&id(1), 2)
            .await
            .unwrap()
            .len(),
        2
    );
    let undecided = db
        .store
        .undecided_budget_changes(at(22, 0, 0))
        .await
        .unwrap();
    assert_eq!(
        undecided.iter().map(|c| c.id).collect::<Vec<_>>(),
        [ids_[2], ids_[3]]
    );
    assert!(
        db.store
            .undecided_budget_changes(at(21, 8, 3))
            .await
            .unwrap()
            .is_empty(),
        "requested_before is exclusive"
    );

    // The database itself refuses to rewrite or erase history.
    for statement in [
        "update budget_changes set new_amount = null",
        "delete from budget_changes",
        "update budget_change_outcomes set outcome = 'applied'",
        "delete from budget_change_outcomes",
    ] {
        assert!(
            db.execute_raw(statement).await.is_err(),
            "{}: {statement} succeeded",
            db.kind()
        );
    }
    assert_eq!(
        db.store
            .budget_changes_for_customer(&id(1), 10)
            .await
            .unwrap(),
        log
    );
}
on_both_databases!(budget_changes_are_intents_then_one_outcome_append_only_newest_first);

async fn users_and_their_encrypted_tokens_round_trip(db: &TestDb) {
    let user = |n: u8, roles: &[&str]| User {
        id: user_id(u128::from(n)),
        tenant_id: "tenant".to_owned(),
        name: format!("User {n}"),
        email: (n == 1).then(|| "one@example.com".to_owned()),
        roles: roles.iter().map(|r| (*r).to_owned()).collect(),
    };
    let tokens = |n: u8, refresh: bool| StoredTokens {
        access_token: vec![n, 0, 255, 1],
        refresh_token: refresh.then(|| vec![n; 40]),
        expires_at: "2026-11-21T09:00:00.654321Z".parse().unwrap(),
    };
    assert_eq!(db.store.user(user_id(1)).await.unwrap(), None);
    assert_eq!(db.store.latest_refreshable_tokens().await.unwrap(), None);

    db.store
        .upsert_user(&user(1, &["Reader"]), at(21, 7, 0))
        .await
        .unwrap();
    db.store
        .upsert_user(&user(2, &[]), at(21, 8, 0))
        .await
        .unwrap();
    db.store
        .upsert_user(&user(3, &["Reader", "BudgetEditor"]), at(21, 9, 0))
        .await
        .unwrap();
    db.store
        .upsert_user(&user(1, &["Reader", "BudgetEditor"]), at(21, 7, 30))
        .await
        .unwrap();
    assert_eq!(
        db.store.user(user_id(1)).await.unwrap(),
        Some(user(1, &["Reader", "BudgetEditor"])),
        "{}",
        db.kind()
    );
    assert_eq!(db.store.user(user_id(2)).await.unwrap(), Some(user(2, &[])));

    db.store
        .save_tokens(user_id(1), &tokens(1, true))
        .await
        .unwrap();
    db.store
        .save_tokens(user_id(2), &tokens(2, true))
        .await
        .unwrap();
    db.store
        .save_tokens(user_id(3), &tokens(3, false))
        .await
        .unwrap();
    assert_eq!(
        db.store.tokens(user_id(1)).await.unwrap(),
        Some(tokens(1, true))
    );
    assert_eq!(
        db.store.tokens(user_id(3)).await.unwrap(),
        Some(tokens(3, false))
    );
    // User 3 signed in last but has no refresh token: user 2 is the latest refreshable.
    assert_eq!(
        db.store.latest_refreshable_tokens().await.unwrap(),
        Some((user_id(2), tokens(2, true)))
    );
    db.store
        .save_tokens(user_id(2), &tokens(7, true))
        .await
        .unwrap();
    assert_eq!(
        db.store.tokens(user_id(2)).await.unwrap(),
        Some(tokens(7, true))
    );

    assert!(db.store.delete_tokens(user_id(2)).await.unwrap());
    assert!(!db.store.delete_tokens(user_id(2)).await.unwrap());
    assert_eq!(db.store.tokens(user_id(2)).await.unwrap(), None);
    assert_eq!(
        db.store
            .latest_refreshable_tokens()
            .await
            .unwrap()
            .map(|(user, _)| user),
        Some(user_id(1))
    );
    // Tokens belong to a known user.
    assert!(
        db.store
            .save_tokens(user_id(9), &tokens(9, true))
            .await
            .is_err()
    );
}
on_both_databases!(users_and_their_encrypted_tokens_round_trip);

/// The latest run of the partner-wide refresh (there must be one).
async fn latest_partner_run(db: &TestDb) -> spendboard::store::RefreshRun {
    db.store
        .latest_run(LeaseScope::Partner)
        .await
        .unwrap()
        .expect("a partner-wide refresh has run")
}

async fn a_lease_has_one_holder_until_it_expires_or_is_released(db: &TestDb) {
    let long = TimeDelta::minutes(5);
    let acquire = |scope: LeaseScope, holder: &'static str, ttl: TimeDelta| async move {
        db.store
            .try_acquire_lease(scope, holder, ttl)
            .await
            .unwrap()
    };
    let release = |scope: LeaseScope, holder: &'static str| async move {
        db.store.release_lease(scope, holder).await.unwrap()
    };
    assert!(
        acquire(LeaseScope::Partner, "instance-a", long).await,
        "{}",
        db.kind()
    );
    assert!(!acquire(LeaseScope::Partner, "instance-b", long).await);
    // The holder renews; another scope is independent.
    assert!(acquire(LeaseScope::Partner, "instance-a", long).await);
    assert!(acquire(LeaseScope::Batch(1), "instance-b", long).await);
    // Only the holder can release.
    assert!(!release(LeaseScope::Partner, "instance-b").await);
    assert!(release(LeaseScope::Partner, "instance-a").await);
    assert!(
        acquire(
            LeaseScope::Partner,
            "instance-b",
            TimeDelta::milliseconds(300)
        )
        .await
    );
    assert!(!acquire(LeaseScope::Partner, "instance-a", long).await);
    // Once expired, another instance takes it over, and the old holder cannot release it.
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(acquire(LeaseScope::Partner, "instance-a", long).await);
    assert!(!release(LeaseScope::Partner, "instance-b").await);
    assert!(!acquire(LeaseScope::Partner, "instance-b", long).await);
}
on_both_databases!(a_lease_has_one_holder_until_it_expires_or_is_released);

async fn of_many_instances_racing_for_a_lease_exactly_one_wins(db: &TestDb) {
    // Separate stores, as separate instances would have.
    let mut instances = Vec::new();
    for _ in 0..8 {
        instances.push(spendboard::store::Store::connect(&db.url, 2).await.unwrap());
    }
    let mut races = tokio::task::JoinSet::new();
    for (i, store) in instances.iter().cloned().enumerate() {
        races.spawn(async move {
            store
                .try_acquire_lease(
                    LeaseScope::Partner,
                    &format!("instance-{i}"),
                    TimeDelta::minutes(5),
                )
                .await
                .unwrap()
        });
    }
    let won = races.join_all().await;
    assert_eq!(
        won.iter().filter(|w| **w).count(),
        1,
        "{}: {won:?}",
        db.kind()
    );
    for store in instances {
        store.close().await;
    }
}
on_both_databases!(of_many_instances_racing_for_a_lease_exactly_one_wins);

async fn refresh_runs_report_progress_and_their_outcome(db: &TestDb) {
    assert_eq!(
        db.store.latest_run(LeaseScope::Partner).await.unwrap(),
        None
    );
    let first = db
        .store
        .start_run(LeaseScope::Partner, "instance-a run 1")
        .await
        .unwrap();
    let run = latest_partner_run(db).await;
    assert_eq!(
        (run.id, run.state, run.done, run.total, run.finished_at),
        (first, RunState::Running, 0, 0, None),
        "{}",
        db.kind()
    );
    assert!(Utc::now() - run.started_at < TimeDelta::minutes(1));

    db.store
        .update_run_progress(first, 2, 3, "Storing 10000 usage records")
        .await
        .unwrap();
    let run = latest_partner_run(db).await;
    assert_eq!(
        (run.done, run.total, run.message.as_str()),
        (2, 3, "Storing 10000 usage records")
    );
    db.store.finish_run(first, Ok(())).await.unwrap();
    let run = latest_partner_run(db).await;
    assert_eq!(run.state, RunState::Succeeded);
    assert!(run.finished_at.is_some_and(|f| f >= run.started_at));

    let second = db
        .store
        .start_run(LeaseScope::Partner, "instance-a run 1")
        .await
        .unwrap();
    assert!(second > first);
    db.store
        .finish_run(second, Err("Partner Center throttled us".into()))
        .await
        .unwrap();
    // Progress after the end is ignored.
    db.store
        .update_run_progress(second, 1, 3, "late")
        .await
        .unwrap();
    let run = latest_partner_run(db).await;
    assert_eq!(
        (run.id, run.state, run.message.as_str()),
        (second, RunState::Failed, "Partner Center throttled us")
    );
    assert_eq!(
        db.store.latest_run(LeaseScope::Batch(1)).await.unwrap(),
        None
    );
}
on_both_databases!(refresh_runs_report_progress_and_their_outcome);

async fn a_run_whose_lease_expired_is_failed_and_a_renewed_one_keeps_running(db: &TestDb) {
    // Long enough that a busy machine does not let the lease expire between two statements.
    let short = TimeDelta::milliseconds(1500);
    assert!(
        db.store
            .try_acquire_lease(LeaseScope::Partner, "a run 1", short)
            .await
            .unwrap()
    );
    let earlier = db
        .store
        .start_run(LeaseScope::Partner, "a run 0")
        .await
        .unwrap();
    db.store.finish_run(earlier, Ok(())).await.unwrap();
    let run = db
        .store
        .start_run(LeaseScope::Partner, "a run 1")
        .await
        .unwrap();
    let status = db.store.run_status(LeaseScope::Partner).await.unwrap();
    assert!(status.is_running() && !status.abandoned, "{status:?}");
    assert_eq!(status.latest.unwrap().id, run);
    assert_eq!(status.last_finished.unwrap().id, earlier, "the run before");
    assert_eq!(
        status.snapshot_version,
        db.store.snapshot_version().await.unwrap(),
        "read in the same statement"
    );
    assert_eq!(
        db.store
            .fail_abandoned_runs(LeaseScope::Partner)
            .await
            .unwrap(),
        0
    );
    // Renewed while it works: still running after the first expiry would have passed.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert!(
        db.store
            .renew_lease(LeaseScope::Partner, "a run 1", short)
            .await
            .unwrap()
    );
    assert!(
        !db.store
            .renew_lease(LeaseScope::Partner, "b run 2", short)
            .await
            .unwrap(),
        "only the holder renews"
    );
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(
        db.store
            .fail_abandoned_runs(LeaseScope::Partner)
            .await
            .unwrap(),
        0
    );
    let latest = latest_partner_run(db).await;
    assert_eq!((latest.id, latest.state), (run, RunState::Running));

    // Its instance dies: no renewal, the lease expires, the run is failed with a reason.
    tokio::time::sleep(Duration::from_millis(2000)).await;
    let status = db.store.run_status(LeaseScope::Partner).await.unwrap();
    assert!(status.abandoned, "seen as abandoned by a read");
    assert_eq!(
        status.latest.unwrap().state,
        RunState::Running,
        "not yet marked"
    );
    assert_eq!(
        db.store
            .fail_abandoned_runs(LeaseScope::Partner)
            .await
            .unwrap(),
        1
    );
    let status = db.store.run_status(LeaseScope::Partner).await.unwrap();
    assert!(!status.abandoned && !status.is_running());
    assert_eq!(
        status.latest, status.last_finished,
        "the latest has finished"
    );
    let latest = latest_partner_run(db).await;
    assert_eq!(latest.state, RunState::Failed, "{}", db.kind());
    assert!(latest.finished_at.is_some());
    assert!(latest.message.contains("stopped before it finished"));
    // The expired lease's holder cannot renew once another took it over.
    assert!(
        db.store
            .try_acquire_lease(LeaseScope::Partner, "b run 2", short)
            .await
            .unwrap()
    );
    assert!(
        !db.store
            .renew_lease(LeaseScope::Partner, "a run 1", short)
            .await
            .unwrap()
    );
}
on_both_databases!(a_run_whose_lease_expired_is_failed_and_a_renewed_one_keeps_running);

async fn sessions_load_update_expire_and_end_everywhere_on_delete(db: &TestDb) {
    let sessions = DbSessionStore::new(db.store.clone());
    // A second instance sharing the database.
    let other_instance =
        DbSessionStore::new(spendboard::store::Store::connect(&db.url, 1).await.unwrap());
    let hour = actix_web::cookie::time::Duration::hours(1);
    let state: HashMap<String, String> = [
        ("user".to_owned(), "\"oid-1\"".to_owned()),
        ("csrf".to_owned(), "\"t0k3n\"".to_owned()),
    ]
    .into();

    let key = sessions.save(state.clone(), &hour).await.unwrap();
    let key_text = key.as_ref().to_owned();
    assert_eq!(key_text.len(), 64);
    assert!(key_text.chars().all(|c| c.is_ascii_alphanumeric()));
    let count = "select count(*) from sessions where session_key = $1";
    let stored_under_the_raw_key: i64 = match &db.store {
        spendboard::store::Store::Sqlite(pool) => sqlx::query_scalar(count)
            .bind(&key_text)
            .fetch_one(pool)
            .await
            .unwrap(),
        spendboard::store::Store::Postgres(pool) => sqlx::query_scalar(count)
            .bind(&key_text)
            .fetch_one(pool)
            .await
            .unwrap(),
    };
    assert_eq!(stored_under_the_raw_key, 0, "keys are stored hashed");
    assert_eq!(
        other_instance.load(&key).await.unwrap(),
        Some(state.clone()),
        "{}",
        db.kind()
    );

    let mut changed = state.clone();
    changed.insert("flash".to_owned(), "\"Budget saved\"".to_owned());
    let same_key = sessions.update(key, changed.clone(), &hour).await.unwrap();
    assert_eq!(same_key.as_ref(), key_text.as_str());
    assert_eq!(
        other_instance.load(&same_key).await.unwrap(),
        Some(changed.clone())
    );

    // A TTL that has run out: the session no longer loads.
    sessions
        .update_ttl(&same_key, &actix_web::cookie::time::Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(sessions.load(&same_key).await.unwrap(), None);
    // Updating an expired session does not bring it back, under any key.
    let expired_key = SessionKey::try_from(key_text.clone()).unwrap();
    let after = sessions
        .update(expired_key, changed.clone(), &hour)
        .await
        .unwrap();
    assert_eq!(after.as_ref(), key_text.as_str());
    assert_eq!(sessions.load(&after).await.unwrap(), None);
    assert_eq!(db.store.delete_expired_sessions().await.unwrap(), 1);

    // Signing out on one instance ends the session on all, and a request that loaded it
    // before cannot save it back.
    let live = sessions.save(state.clone(), &hour).await.unwrap();
    let live_text = live.as_ref().to_owned();
    other_instance.delete(&live).await.unwrap();
    assert_eq!(sessions.load(&live).await.unwrap(), None);
    let in_flight = SessionKey::try_from(live_text).unwrap();
    let written_back = sessions.update(in_flight, changed, &hour).await.unwrap();
    assert_eq!(sessions.load(&written_back).await.unwrap(), None);
    assert_eq!(
        db.store.delete_expired_sessions().await.unwrap(),
        0,
        "no row was made"
    );
    let unknown = SessionKey::try_from("x".repeat(64)).unwrap();
    assert_eq!(sessions.load(&unknown).await.unwrap(), None);
}
on_both_databases!(sessions_load_update_expire_and_end_everywhere_on_delete);

async fn a_loaded_session_carries_its_users_current_roles_which_are_never_saved(db: &TestDb) {
    use spendboard::routes::session_store::{SESSION_ROLES, SESSION_USER};
    let sessions = DbSessionStore::new(db.store.clone());
    let hour = actix_web::cookie::time::Duration::hours(1);
    let person = |roles: &[&str]| User {
        id: user_id(7),
        tenant_id: "tenant".to_owned(),
        name: "User 7".to_owned(),
        email: None,
        roles: roles.iter().map(|r| (*r).to_owned()).collect(),
    };
    db.store
        .upsert_user(&person(&["Reader"]), at(21, 7, 0))
        .await
        .unwrap();
    let state: HashMap<String, String> = [(
        SESSION_USER.to_owned(),
        format!(r#"{{"id":"{}","name":"User 7"}}"#, user_id(7)),
    )]
    .into();
    let key = sessions.save(state.clone(), &hour).await.unwrap();
    let loaded = sessions.load(&key).await.unwrap().unwrap();
    assert_eq!(
        loaded.get(SESSION_ROLES).map(String::as_str),
        Some(r#"["Reader"]"#)
    );
    assert_eq!(loaded.get(SESSION_USER), state.get(SESSION_USER));

    // A role changed elsewhere shows on the next load of the same session.
    db.store
        .upsert_user(&person(&["BudgetEditor"]), at(21, 8, 0))
        .await
        .unwrap();
    let loaded = sessions.load(&key).await.unwrap().unwrap();
    assert_eq!(
        loaded.get(SESSION_ROLES).map(String::as_str),
        Some(r#"["BudgetEditor"]"#)
    );

    // Saving the loaded state back keeps the roles out of the stored state.
    sessions.update(key, loaded, &hour).await.unwrap();
    let stored = "select state from sessions";
    let bodies: Vec<String> = match &db.store {
        spendboard::store::Store::Sqlite(pool) => {
            sqlx::query_scalar(stored).fetch_all(pool).await.unwrap()
        }
        spendboard::store::Store::Postgres(pool) => {
            sqlx::query_scalar(stored).fetch_all(pool).await.unwrap()
        }
    };
    assert_eq!(bodies.len(), 1, "{bodies:?}");
    assert!(!bodies[0].contains(SESSION_ROLES), "{}", bodies[0]);

    // Without a user, or with one Spendboard no longer knows, a load carries no roles.
    let anonymous = sessions
        .save([("flash".to_owned(), "\"hi\"".to_owned())].into(), &hour)
        .await
        .unwrap();
    assert_eq!(
        sessions
            .load(&anonymous)
            .await
            .unwrap()
            .unwrap()
            .get(SESSION_ROLES),
        None
    );
    let stranger: HashMap<String, String> = [(
        SESSION_USER.to_owned(),
        format!(r#"{{"id":"{}"}}"#, user_id(8)),
    )]
    .into();
    let key = sessions.save(stranger, &hour).await.unwrap();
    assert_eq!(
        sessions
            .load(&key)
            .await
            .unwrap()
            .unwrap()
            .get(SESSION_ROLES),
        None
    );
}
on_both_databases!(a_loaded_session_carries_its_users_current_roles_which_are_never_saved);

async fn ten_thousand_customers_are_written_paged_and_totalled_correctly(db: &TestDb) {
    let currencies = ["EUR", "USD", "JPY", "GBP", "SEK"];
    let rows: Vec<_> = (0..10_000u128)
        .map(|n| {
            let spend = format!("{}.{:04}", (n * 7919) % 100_000, n % 10_000);
            let budget = (n % 5 != 0).then(|| format!("{}", (n * 104_729) % 120_000));
            snapshot(
                n,
                &format!("Customer {n:05} Ltd"),
                currencies[(n % 5) as usize],
                &spend,
                budget.as_deref(),
            )
        })
        .collect();

    db.store.upsert_snapshots(&rows).await.unwrap();
    db.store.upsert_snapshots(&rows).await.unwrap();

    let page = db
        .store
        .dashboard_page(&DashboardQuery {
            search: Some("1 LTD".to_owned()),
            status: Some(UsageStatus::OverBudget),
            portfolio: None,
            sort: SortKey::Spend,
            descending: true,
            page: 3,
            page_size: 50,
        })
        .await
        .unwrap();
    let last_page = db
        .store
        .dashboard_page(&DashboardQuery {
            sort: SortKey::PercentUsed,
            page: 200,
            page_size: 50,
            ..DashboardQuery::default()
        })
        .await
        .unwrap();
    let totals = db.store.dashboard_totals().await.unwrap();
    // A refresh keeps every customer but one.
    let keep: Vec<_> = rows.iter().skip(1).map(|r| r.customer_id).collect();
    let deleted = db.store.delete_snapshots_not_in(&keep).await.unwrap();

    assert_eq!(deleted, 1);
    assert_eq!(db.store.snapshot(&rows[0].customer_id).await.unwrap(), None);
    let expected_matches = rows
        .iter()
        .filter(|r| r.company_name.ends_with("1 Ltd") && r.status == UsageStatus::OverBudget)
        .count() as u64;
    assert!(
        expected_matches > 150,
        "the data must fill page 3: {expected_matches}"
    );
    assert_eq!(page.total_rows, expected_matches);
    assert_eq!(page.rows.len(), 50);
    assert_eq!((last_page.total_rows, last_page.rows.len()), (10_000, 50));
    assert_eq!(totals.customers, 10_000);
    let eur: Decimal = rows
        .iter()
        .filter(|r| r.currency().code() == "EUR")
        .map(|r| r.total_cost.amount())
        .sum();
    assert_eq!(totals.per_currency[0].total.amount(), eur);
}
on_both_databases!(ten_thousand_customers_are_written_paged_and_totalled_correctly);

async fn portfolios_keep_several_owners_per_customer_and_ignore_repeats(db: &TestDb) {
    let store = &db.store;
    let adele = SignInName::parse("Adele.Vance@contoso.com").unwrap();
    let megan = SignInName::parse("megan@contoso.com").unwrap();
    assert_eq!(
        store
            .assign_owner(&[id(2), id(1)], &adele, user_id(1))
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        store
            .assign_owner(&[id(1), id(3)], &adele, user_id(1))
            .await
            .unwrap(),
        1,
        "an existing assignment is not new"
    );
    store
        .assign_owner(&[id(1)], &megan, user_id(2))
        .await
        .unwrap();
    assert_eq!(
        store.owners_of(&id(1)).await.unwrap(),
        vec![adele.clone(), megan.clone()]
    );
    assert_eq!(
        store.customers_of(&adele).await.unwrap(),
        vec![id(1), id(2), id(3)]
    );
    assert!(store.remove_owner(&id(1), &adele).await.unwrap());
    assert!(
        !store.remove_owner(&id(1), &adele).await.unwrap(),
        "already removed"
    );
    assert_eq!(store.owners_of(&id(1)).await.unwrap(), vec![megan]);
    assert_eq!(
        store.customers_of(&adele).await.unwrap(),
        vec![id(2), id(3)]
    );
}
on_both_databases!(portfolios_keep_several_owners_per_customer_and_ignore_repeats);

async fn the_cached_portfolios_follow_every_change_of_ownership(db: &TestDb) {
    let store = &db.store;
    let cache = OwnershipCache::default();
    let adele = SignInName::parse("adele@contoso.com").unwrap();
    let megan = SignInName::parse("megan@contoso.com").unwrap();
    let empty = store.current_ownership(&cache).await.unwrap();
    assert!(empty.portfolios.is_empty(), "{empty:?}");
    assert!(empty.portfolio(&adele).customers.is_empty());

    // Each change, as any instance makes it, shows in the next view read at the stored version.
    let changes: Vec<(&str, bool)> = vec![
        (
            "assign",
            store
                .assign_owner(&[id(1), id(2)], &adele, user_id(1))
                .await
                .unwrap()
                == 2,
        ),
        (
            "repeat",
            store
                .assign_owner(&[id(1)], &adele, user_id(1))
                .await
                .unwrap()
                == 0,
        ),
        (
            "another",
            store
                .assign_owner(&[id(1)], &megan, user_id(2))
                .await
                .unwrap()
                == 1,
        ),
        ("remove", store.remove_owner(&id(2), &adele).await.unwrap()),
        (
            "remove again",
            !store.remove_owner(&id(2), &adele).await.unwrap(),
        ),
    ];
    assert!(changes.iter().all(|(_, done)| *done), "{changes:?}");
    let status = store.run_status(LeaseScope::Partner).await.unwrap();
    assert_eq!(
        status.ownership_version,
        store.ownership_version().await.unwrap(),
        "read with the run status"
    );
    assert_eq!(
        status.ownership_version,
        empty.version + 3,
        "raised by the changes that changed something, once each"
    );
    let view = store
        .ownership_view(&cache, status.ownership_version)
        .await
        .unwrap();
    assert_eq!(*view, store.ownership().await.unwrap(), "as stored");
    let owners: Vec<(&SignInName, Vec<CustomerId>)> = view
        .portfolios
        .iter()
        .map(|(owner, p)| (owner, sorted(&p.customers)))
        .collect();
    assert_eq!(owners, vec![(&adele, vec![id(1)]), (&megan, vec![id(1)])]);

    // The same version is served from the cache; a stale version read earlier is not kept.
    let again = store.current_ownership(&cache).await.unwrap();
    assert!(Arc::ptr_eq(&view, &again), "served from the cache");
    store
        .assign_owner(&[id(3)], &megan, user_id(2))
        .await
        .unwrap();
    let after = store.current_ownership(&cache).await.unwrap();
    assert_eq!(
        sorted(&after.portfolio(&megan).customers),
        vec![id(1), id(3)]
    );
}
on_both_databases!(the_cached_portfolios_follow_every_change_of_ownership);

fn sorted(customers: &HashSet<CustomerId>) -> Vec<CustomerId> {
    let mut customers: Vec<CustomerId> = customers.iter().copied().collect();
    customers.sort_by_key(ToString::to_string);
    customers
}
