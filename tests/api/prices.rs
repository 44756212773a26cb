//! Rate card prices: the store on both databases (versions, price changes, search), and the
//! price explorer over HTTP against the sandbox's rate card.

use chrono::{DateTime, TimeZone, Utc};
use partner_center_sandbox::SandboxOptions;
use reqwest::{Method, StatusCode};
use rust_decimal::Decimal;
use serde_json::json;
use spendboard::domain::{Currency, MeterPrice};
use spendboard::store::{MeterSearch, NewRateCard, RateCardMeter, SavedRateCard};

use crate::databases::{TestDb, on_both_databases};
use crate::helpers::{EDITOR, READER, TestApp, assert_is_redirect_to, eventually, spawn_app_with};

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn at(day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, 6, 0, 0).unwrap()
}

fn meter(
    id: &str,
    name: &str,
    region: &str,
    rates: &[(&str, &str)],
    included: &str,
) -> RateCardMeter {
    RateCardMeter {
        meter_id: id.to_string(),
        name: name.to_string(),
        category: if name.contains("Transfer") {
            "Bandwidth"
        } else {
            "Virtual Machines"
        }
        .to_string(),
        subcategory: if name.contains("Transfer") {
            "Bandwidth"
        } else {
            "Dsv3 Series"
        }
        .to_string(),
        region: region.to_string(),
        unit: if name.contains("Transfer") {
            "1 GB"
        } else {
            "1 Hour"
        }
        .to_string(),
        price: MeterPrice::new(rates.iter().map(|(t, p)| (d(t), d(p))), d(included)).unwrap(),
        effective_date: Some(at(1)),
    }
}

fn card(meters: Vec<RateCardMeter>, day: u32) -> NewRateCard {
    NewRateCard {
        currency: Currency::parse("EUR").unwrap(),
        locale: "en".to_string(),
        meters,
        read_at: at(day),
    }
}

fn search(text: &str) -> MeterSearch {
    MeterSearch {
        text: text.to_string(),
        limit: 100,
        ..MeterSearch::default()
    }
}

async fn rate_cards_keep_two_versions_and_mark_changed_prices(db: &TestDb) {
    let store = &db.store;
    let first = vec![
        meter("a1", "D4s v3", "EU West", &[("0", "0.23")], "0"),
        meter("a2", "D4s v3", "EU North", &[("0", "0.2208")], "0"),
        meter(
            "a3",
            "Data Transfer Out",
            "Zone 1",
            &[("0", "0.087"), ("10240", "0.083")],
            "5",
        ),
        meter("a4", "D2s v3", "Süd Ost", &[("0", "0.115")], "0"),
    ];
    assert_eq!(
        store.save_rate_card(&card(first.clone(), 2)).await.unwrap(),
        SavedRateCard::NewVersion
    );
    let versions = store.rate_card_versions().await.unwrap();
    assert_eq!(versions.len(), 1);
    let v1 = &versions[0];
    assert_eq!(
        (v1.version, v1.meter_count, v1.previous.clone()),
        (1, 4, None)
    );

    // the same prices read again: no new version, only checked_at moves
    assert_eq!(
        store.save_rate_card(&card(first.clone(), 3)).await.unwrap(),
        SavedRateCard::Unchanged
    );
    let v1 = store.rate_card_versions().await.unwrap().remove(0);
    assert_eq!((v1.version, v1.read_at, v1.checked_at), (1, at(2), at(3)));

    // exact tiers and included quantities survive the round trip
    let found = store.search_meters(&v1, &search("transfer")).await.unwrap();
    assert_eq!(found.total, 1);
    assert_eq!(found.meters[0].meter, first[2]);
    assert_eq!(found.meters[0].previous, None);
    // accents and case are ignored, every word must match
    assert_eq!(
        store
            .search_meters(&v1, &search("sud OST"))
            .await
            .unwrap()
            .total,
        1
    );
    assert_eq!(
        store
            .search_meters(&v1, &search("d4s west"))
            .await
            .unwrap()
            .total,
        1
    );
    assert_eq!(
        store
            .search_meters(&v1, &search("100%"))
            .await
            .unwrap()
            .total,
        0
    );
    let by_region = MeterSearch {
        region: "EU North".into(),
        limit: 100,
        ..MeterSearch::default()
    };
    assert_eq!(
        store.search_meters(&v1, &by_region).await.unwrap().meters[0]
            .meter
            .meter_id,
        "a2"
    );
    let by_category = MeterSearch {
        category: "Virtual Machines".into(),
        limit: 2,
        ..MeterSearch::default()
    };
    let page = store.search_meters(&v1, &by_category).await.unwrap();
    assert_eq!(
        (page.total, page.meters.len()),
        (3, 2),
        "paged, counted in full"
    );
    let names: Vec<_> = page.meters.iter().map(|m| m.meter.name.as_str()).collect();
    assert_eq!(names, ["D2s v3", "D4s v3"], "ordered by name");

    // a price change: a new version, the old kept as previous, changed meters marked
    let mut second = first.clone();
    second[0] = meter("a1", "D4s v3", "EU West", &[("0", "0.2415")], "0");
    second[2] = meter(
        "a3",
        "Data Transfer Out",
        "Zone 1",
        &[("0", "0.087"), ("10240", "0.083")],
        "10",
    );
    assert_eq!(
        store
            .save_rate_card(&card(second.clone(), 4))
            .await
            .unwrap(),
        SavedRateCard::NewVersion
    );
    let v2 = store.rate_card_versions().await.unwrap().remove(0);
    assert_eq!(v2.version, 2);
    assert_eq!(v2.previous.as_ref().map(|(_, read)| *read), Some(at(2)));
    let changed = MeterSearch {
        changed_only: true,
        limit: 100,
        ..MeterSearch::default()
    };
    let page = store.search_meters(&v2, &changed).await.unwrap();
    let ids: Vec<_> = page
        .meters
        .iter()
        .map(|m| m.meter.meter_id.as_str())
        .collect();
    assert_eq!(ids, ["a1", "a3"]);
    assert_eq!(
        page.meters[0].previous.as_ref().unwrap().base_price(),
        d("0.23")
    );
    assert_eq!(page.meters[0].meter.price.base_price(), d("0.2415"));
    assert_eq!(page.meters[1].previous.as_ref().unwrap().included(), d("5"));
    let unchanged = store.rate_card_meter(&v2, "A2").await.unwrap().unwrap();
    assert_eq!(unchanged.previous, None, "an unchanged price is not marked");

    // the same meter in every region
    let regions = store.meter_in_every_region(&v2, &second[0]).await.unwrap();
    let mut ids: Vec<_> = regions.iter().map(|m| m.meter.meter_id.as_str()).collect();
    ids.sort();
    assert_eq!(ids, ["a1", "a2"]);

    // a third version drops the first
    let mut third = second.clone();
    third[1] = meter("a2", "D4s v3", "EU North", &[("0", "0.21")], "0");
    store.save_rate_card(&card(third, 5)).await.unwrap();
    let v3 = store.rate_card_versions().await.unwrap().remove(0);
    assert_eq!(v3.version, 3);
    assert_eq!(v3.previous.as_ref().map(|(_, read)| *read), Some(at(4)));
    let page = store.search_meters(&v3, &changed).await.unwrap();
    assert_eq!(
        page.meters.len(),
        1,
        "changes are counted against the previous version only"
    );
    assert!(
        store.rate_card_meter(&v1, "a1").await.unwrap().is_none(),
        "version 1 is gone"
    );

    // a failed read is recorded; the stored card stays
    let eur = Currency::parse("EUR").unwrap();
    store
        .record_rate_card_failure(&eur, at(6), "Partner Center answered 503")
        .await
        .unwrap();
    let attempt = store.rate_card_attempt(&eur).await.unwrap().unwrap();
    assert_eq!(
        (attempt.attempted_at, attempt.error.as_deref()),
        (at(6), Some("Partner Center answered 503"))
    );
    assert_eq!(store.rate_card_versions().await.unwrap()[0].version, 3);
    let (categories, regions) = store.rate_card_facets(&v3).await.unwrap();
    assert_eq!(categories, ["Bandwidth", "Virtual Machines"]);
    assert_eq!(regions, ["EU North", "EU West", "Süd Ost", "Zone 1"]);
}
on_both_databases!(rate_cards_keep_two_versions_and_mark_changed_prices);

/// The rows of the first `table.{class}` of a page: each row's cells' text, trimmed, with
/// inner whitespace collapsed.
fn rows(html: &str, class: &str) -> Vec<Vec<String>> {
    let doc = scraper::Html::parse_document(html);
    let row = scraper::Selector::parse(&format!("table.{class} tbody tr")).unwrap();
    let cell = scraper::Selector::parse("th, td").unwrap();
    doc.select(&row)
        .map(|r| {
            r.select(&cell)
                .map(|c| {
                    c.text()
                        .collect::<Vec<_>>()
                        .join(" ")
                        .split_whitespace()
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .collect()
        })
        .collect()
}

/// The text of the element with this id, whitespace collapsed; `None` when absent.
pub fn text_of(html: &str, id: &str) -> Option<String> {
    let doc = scraper::Html::parse_document(html);
    let selector = scraper::Selector::parse(&format!("#{id}")).unwrap();
    doc.select(&selector).next().map(|e| {
        e.text()
            .collect::<Vec<_>>()
            .join(" ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    })
}

fn meters_of(card: &serde_json::Value) -> Vec<serde_json::Value> {
    card["meters"].as_array().unwrap().clone()
}

fn rate(meter: &serde_json::Value, threshold: &str) -> Decimal {
    meter["rates"][threshold].to_string().parse().unwrap()
}

/// The explorer page once a rate card is shown (the first visit starts reading it).
pub async fn explorer_with_card(app: &TestApp, query: &str) -> String {
    eventually(60, "the rate card is read", || async {
        let response = app.get(&format!("/prices?{query}")).await;
        let status = response.status();
        let html = response.text().await.unwrap();
        assert_eq!(status, StatusCode::OK, "{html}");
        text_of(&html, "rate-card-date").is_some().then_some(html)
    })
    .await
}

#[tokio::test]
async fn the_explorer_searches_the_sandbox_rate_card_marks_changed_prices_and_exports_csv() {
    let app = spawn_app_with(
        SandboxOptions {
            now: Some(Utc.with_ymd_and_hms(2026, 3, 30, 12, 0, 0).unwrap()),
            rate_card_meters: 600,
            ..SandboxOptions::default()
        },
        |_| {},
    )
    .await;
    app.sign_in_and_load(READER).await;
    let html = explorer_with_card(&app, "currency=EUR").await;
    let march = app.sandbox_get("/v1/ratecards/azure?currency=EUR").await;
    let meters = meters_of(&march);
    assert!(
        text_of(&html, "rate-card-date")
            .unwrap()
            .contains("Rate card in EUR with 600 meters")
    );
    let scope = text_of(&html, "scope").unwrap();
    assert!(
        scope.contains("before any partner discount or credit and without tax"),
        "{scope}"
    );
    let described = text_of(&html, "described-customers").unwrap();
    assert!(
        described.contains("legacy (MS-AZR-0145P) customer")
            && described.contains("Azure plan customer"),
        "{described}"
    );

    // a search by words: the same meters as the sandbox's card holds, with their tiers
    let expected: Vec<&serde_json::Value> = meters
        .iter()
        .filter(|m| {
            let text = format!(
                "{} {} {} {}",
                m["name"], m["category"], m["subcategory"], m["region"]
            )
            .to_lowercase();
            text.contains("data stored") && text.contains("eu north")
        })
        .collect();
    assert!(!expected.is_empty());
    let html = app
        .get_html("/prices?currency=EUR&q=Data+stored+eu+NORTH")
        .await;
    let found = rows(&html, "meters");
    assert_eq!(found.len(), expected.len(), "{found:?}");
    let tiered = expected
        .iter()
        .find(|m| m["rates"].as_object().unwrap().len() > 1)
        .expect("a tiered storage meter");
    let row = found
        .iter()
        .find(|r| {
            r[0] == tiered["name"].as_str().unwrap()
                && r[1].ends_with(tiered["subcategory"].as_str().unwrap())
        })
        .unwrap();
    assert!(
        row[4].contains(&format!("from 0: {} EUR", rate(tiered, "0").normalize())),
        "{row:?}"
    );
    assert!(
        row[4].contains(&format!(
            "from 51200: {} EUR",
            rate(tiered, "51200").normalize()
        )),
        "{row:?}"
    );

    // filters by category and region; the CSV export holds the whole search
    let in_region = meters
        .iter()
        .filter(|m| m["category"] == "Virtual Machines" && m["region"] == "US East")
        .count();
    let html = app
        .get_html("/prices?currency=EUR&category=Virtual+Machines&region=US+East")
        .await;
    assert_eq!(
        text_of(&html, "meters-shown").unwrap(),
        format!("Meters 1 to {} of {in_region}.", in_region.min(50))
    );
    let csv = app
        .get("/prices.csv?currency=EUR&category=Virtual+Machines&region=US+East")
        .await;
    assert_eq!(csv.status(), StatusCode::OK);
    let body = csv.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), in_region);
    let first = &records[0];
    let sandbox_meter = meters.iter().find(|m| m["id"] == first[0]).unwrap();
    assert_eq!(
        first[7].parse::<Decimal>().unwrap(),
        rate(sandbox_meter, "0")
    );
    assert_eq!(&first[6], "EUR");

    // nothing is marked changed before a second rate card
    let html = app.get_html("/prices?currency=EUR&changed=1").await;
    assert_eq!(rows(&html, "meters").len(), 0);

    // April 1st passes on the sandbox clock: some prices change
    app.sandbox_control(
        Method::POST,
        "_sandbox/clock/advance",
        Some(json!({"days": 3})),
    )
    .await;
    let april = meters_of(&app.sandbox_get("/v1/ratecards/azure?currency=EUR").await);
    let changed: Vec<(&serde_json::Value, &serde_json::Value)> = april
        .iter()
        .zip(&meters)
        .filter(|(new, old)| new["rates"] != old["rates"])
        .collect();
    assert!(!changed.is_empty());
    let csrf = TestApp::csrf_token(&html);
    // A read still running (of the other currencies) may take the button press; press again
    // until the new prices are in, as a person would.
    let html = eventually(60, "the changed prices are marked", || async {
        let response = app
            .post_form("/prices/refresh", &[("csrf_token", &csrf)])
            .await;
        assert_is_redirect_to(&response, "/prices");
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        let html = app.get_html("/prices?currency=EUR&changed=1&page=1").await;
        (!rows(&html, "meters").is_empty()).then_some(html)
    })
    .await;
    assert_eq!(
        text_of(&html, "meters-shown").unwrap(),
        format!(
            "Meters 1 to {} of {}.",
            changed.len().min(50),
            changed.len()
        )
    );
    let (new, old) = changed[0];
    let search = format!(
        "/prices?currency=EUR&changed=1&q={}&region={}",
        new["name"].as_str().unwrap().replace(' ', "+"),
        new["region"].as_str().unwrap().replace(' ', "+")
    );
    let html = app.get_html(&search).await;
    let row = rows(&html, "meters")
        .into_iter()
        .find(|r| r[1].ends_with(new["subcategory"].as_str().unwrap()))
        .expect("the changed meter is listed");
    assert!(
        row[4].contains(&format!("{} EUR", rate(new, "0").normalize())),
        "{row:?}"
    );
    assert!(
        row[4].contains(&format!(
            "Changed; was {} EUR from 0",
            rate(old, "0").normalize()
        )),
        "{row:?}"
    );
    assert!(row[6].contains("2026-04-01"), "{row:?}");

    app.sandbox.stop().await;
}

#[tokio::test]
async fn a_failed_read_keeps_the_last_rate_card_and_says_how_old_it_is() {
    let app = spawn_app_with(
        SandboxOptions {
            rate_card_meters: 100,
            ..SandboxOptions::default()
        },
        |_| {},
    )
    .await;
    app.sign_in_and_load(EDITOR).await;
    let html = explorer_with_card(&app, "currency=USD").await;
    let before = rows(&html, "meters");
    app.sandbox_control(
        Method::POST,
        "_sandbox/faults",
        Some(json!({"route": "GET /v1/ratecards/azure", "kind": "status", "status": 503})),
    )
    .await;
    let csrf = TestApp::csrf_token(&html);
    let html = eventually(60, "the failure is shown", || async {
        app.post_form("/prices/refresh", &[("csrf_token", &csrf)])
            .await;
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        let html = app.get_html("/prices?currency=USD").await;
        text_of(&html, "rate-card-failure").map(|f| (html, f))
    })
    .await;
    let (html, failure) = html;
    assert!(failure.contains("failed"), "{failure}");
    assert!(
        failure.contains("The prices shown were last confirmed"),
        "{failure}"
    );
    assert_eq!(
        rows(&html, "meters"),
        before,
        "the last good rate card stays in use"
    );
    app.sandbox_control(Method::DELETE, "_sandbox/faults", None)
        .await;
    app.sandbox.stop().await;
}

#[tokio::test]
async fn regions_are_compared_cheapest_first_and_bad_input_gets_its_reason() {
    let app = spawn_app_with(
        SandboxOptions {
            rate_card_meters: 300,
            ..SandboxOptions::default()
        },
        |_| {},
    )
    .await;
    app.sign_in_and_load(READER).await;
    explorer_with_card(&app, "currency=GBP").await;
    let card = meters_of(&app.sandbox_get("/v1/ratecards/azure?currency=GBP").await);
    let same: Vec<&serde_json::Value> = card
        .iter()
        .filter(|m| m["name"] == "D4s v3" && m["subcategory"] == "Dsv3 Series")
        .collect();
    assert_eq!(same.len(), 8);
    let west = same.iter().find(|m| m["region"] == "EU West").unwrap();
    let west_cost = rate(west, "0") * Decimal::from(730);
    let mut expected: Vec<(Decimal, String)> = same
        .iter()
        .map(|m| {
            (
                rate(m, "0") * Decimal::from(730),
                m["region"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    expected.sort();
    let gbp =
        |amount: Decimal| spendboard::domain::Money::new(amount, Currency::parse("GBP").unwrap());

    let path = format!("/prices/GBP/meters/{}", west["id"].as_str().unwrap());
    let html = app.get_html(&format!("{path}?quantity=730")).await;
    let regions = rows(&html, "regions");
    let shown: Vec<(String, String, String)> = regions
        .iter()
        .map(|r| (r[0].clone(), r[2].clone(), r[3].clone()))
        .collect();
    let wanted: Vec<(String, String, String)> = expected
        .iter()
        .map(|(cost, region)| {
            let difference = *cost - west_cost;
            let difference = if region == "EU West" {
                "this region".to_string()
            } else if difference > Decimal::ZERO {
                format!("+{}", gbp(difference))
            } else {
                gbp(difference).to_string()
            };
            (region.clone(), gbp(*cost).to_string(), difference)
        })
        .collect();
    assert_eq!(shown, wanted);

    for (typed, reason) in [
        ("-5", "cannot be negative"),
        ("ten", "plain number"),
        ("1,000", "plain number"),
        ("99999999999", "too large"),
    ] {
        let response = app.get(&format!("{path}?quantity={typed}")).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{typed}");
        let html = response.text().await.unwrap();
        assert!(
            text_of(&html, "quantity-error").unwrap().contains(reason),
            "{typed}"
        );
        assert!(
            rows(&html, "regions")[0][0].contains("Enter a quantity"),
            "nothing compared for {typed}"
        );
    }
    let response = app
        .get("/prices/GBP/meters/00000000-0000-0000-0000-000000000000")
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let response = app.get("/prices?currency=XYZ").await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let html = response.text().await.unwrap();
    assert!(
        text_of(&html, "currency-error")
            .unwrap()
            .contains("There is no rate card in XYZ")
    );
    app.sandbox.stop().await;
}

#[tokio::test]
async fn a_subscriptions_meters_are_compared_across_regions_at_this_periods_quantity() {
    let app = spawn_app_with(
        SandboxOptions {
            rate_card_meters: 200,
            ..SandboxOptions::default()
        },
        |_| {},
    )
    .await;
    app.sign_in_and_load(READER).await;
    let records = app.sandbox_get("/v1/customers/usagerecords").await;
    let legacy = records["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["currencyLocale"].is_string())
        .expect("a legacy customer");
    let id = legacy["id"].as_str().unwrap();
    let snapshot = app
        .store()
        .snapshot(&spendboard::domain::CustomerId::parse(id).unwrap())
        .await
        .unwrap()
        .unwrap();
    let currency = snapshot.currency().clone();
    explorer_with_card(&app, &format!("currency={currency}")).await;
    let subscriptions = app
        .sandbox_get(&format!("/v1/customers/{id}/subscriptions"))
        .await;
    let sid = subscriptions["items"][0]["id"].as_str().unwrap();
    let subscription = format!("/customers/{id}/subscriptions/{sid}");
    let html = app.get_html(&subscription).await;
    assert!(html.contains("/regions\" id=\"regions-link\""), "{html}");
    let meters = app
        .sandbox_get(&format!(
            "/v1/customers/{id}/subscriptions/{sid}/meterusagerecords"
        ))
        .await;
    let card = app
        .sandbox_get(&format!("/v1/ratecards/azure?currency={currency}"))
        .await;

    let html = app.get_html(&format!("{subscription}/regions")).await;
    let doc = scraper::Html::parse_document(&html);
    let sections = scraper::Selector::parse("section.meter-regions").unwrap();
    let heading = scraper::Selector::parse("h2").unwrap();
    let row = scraper::Selector::parse("tbody tr").unwrap();
    let cell = scraper::Selector::parse("th, td").unwrap();
    let mut compared = 0;
    for section in doc.select(&sections) {
        let name = section
            .select(&heading)
            .next()
            .unwrap()
            .text()
            .next()
            .unwrap()
            .trim()
            .to_owned();
        let record = meters["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["meterName"] == name.as_str())
            .unwrap_or_else(|| panic!("{name} is one of the subscription's meters"));
        let quantity: Decimal = record["quantityUsed"].to_string().parse().unwrap();
        let spend: Decimal = record["totalCost"].to_string().parse().unwrap();
        let home = card["meters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["id"] == record["meterId"])
            .unwrap();
        let rows: Vec<Vec<String>> = section
            .select(&row)
            .map(|r| {
                r.select(&cell)
                    .map(|c| c.text().collect::<String>().trim().to_owned())
                    .collect()
            })
            .collect();
        let money =
            |amount: Decimal| spendboard::domain::Money::new(amount, currency.clone()).to_string();
        let origin = rows
            .iter()
            .find(|r| r[3] == "this region")
            .expect("the region it runs in");
        assert_eq!(origin[0], home["region"].as_str().unwrap());
        assert_eq!(
            origin[2],
            money(spend),
            "at this period's quantity, its own region costs what was spent"
        );
        let mut expected: Vec<(Decimal, String)> = card["meters"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| {
                m["name"] == home["name"]
                    && m["subcategory"] == home["subcategory"]
                    && m["unit"] == home["unit"]
            })
            .map(|m| {
                (
                    rate(m, "0") * quantity,
                    m["region"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        expected.sort();
        let shown: Vec<(String, String)> =
            rows.iter().map(|r| (r[0].clone(), r[2].clone())).collect();
        let wanted: Vec<(String, String)> = expected
            .iter()
            .map(|(c, r)| (r.clone(), money(*c)))
            .collect();
        assert_eq!(shown, wanted, "{name}: every region, cheapest first");
        compared += 1;
    }
    assert!(compared > 0, "some meters are compared");
    app.sandbox.stop().await;
}
