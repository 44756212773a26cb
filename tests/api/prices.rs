//! Rate card prices: the store on both databases (versions, price changes, search), and the
//! price explorer over HTTP against the sandbox's rate card.

use chrono::{DateTime, TimeZone, Utc};
use rust_decimal::Decimal;
use spendboard::domain::{Currency, MeterPrice};
use spendboard::store::{MeterSearch, NewRateCard, RateCardMeter, SavedRateCard};

use crate::databases::{TestDb, on_both_databases};

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
