//! Portfolios: owners added and removed on the customer page (budget editors and portfolio
//! admins only), and the dashboard's "My customers", "All customers" and owner filter with
//! the counts and per-currency totals of the chosen set. On SQLite by default, on PostgreSQL
//! with `SPENDBOARD_TEST_DATABASE=postgres`.

use std::collections::{BTreeMap, HashSet};

use reqwest::StatusCode;
use rust_decimal::Decimal;
use serde_json::json;
use spendboard::domain::{Currency, CustomerId, Money, SignInName};

use crate::helpers::{
    EDITOR, READER, TestApp, assert_is_redirect_to, dashboard_count, spawn_app, urlencode, user_id,
};
use crate::truth::{self, Record};

/// A sign-in name of someone who never signed in.
const NEWCOMER: &str = "Nia.Newcomer@NorthwindCSP.onmicrosoft.com";

fn owner(name: &str) -> SignInName {
    SignInName::parse(name).unwrap()
}

/// The `href` of each link `css` selects.
fn hrefs(html: &str, css: &str) -> Vec<String> {
    let doc = scraper::Html::parse_document(html);
    let selector = scraper::Selector::parse(css).unwrap();
    doc.select(&selector)
        .filter_map(|e| e.attr("href").map(str::to_owned))
        .collect()
}

fn select(html: &str, css: &str) -> Vec<String> {
    let doc = scraper::Html::parse_document(html);
    let selector = scraper::Selector::parse(css).unwrap();
    doc.select(&selector)
        .map(|e| {
            e.text()
                .collect::<String>()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

/// The owners listed on a customer page.
fn listed_owners(html: &str) -> Vec<String> {
    select(html, ".owner-list .owner-name")
}

/// The "N matching customer(s)" of the dashboard.
fn matching(html: &str) -> u64 {
    let rules = select(html, "#rules").concat();
    let (before, _) = rules.split_once(" matching customer").expect("a count");
    before.rsplit(' ').next().unwrap().parse().unwrap()
}

/// The rows of the per-currency totals: currency, spend, USD equivalent, customers.
fn currency_totals(html: &str) -> Vec<Vec<String>> {
    let doc = scraper::Html::parse_document(html);
    let row = scraper::Selector::parse("table.totals tbody tr").unwrap();
    let cell = scraper::Selector::parse("th, td").unwrap();
    doc.select(&row)
        .map(|r| {
            r.select(&cell)
                .map(|c| c.text().collect::<String>().trim().to_owned())
                .collect()
        })
        .collect()
}

/// The dashboard's numbers must be those of these sandbox records: counts, and each
/// currency's spend and number of customers.
fn assert_numbers_of(html: &str, records: &[&Record]) {
    let truth::StatusCounts { over, near, none } = truth::StatusCounts::of(records.iter().copied());
    assert_eq!(dashboard_count(html, "Customers"), records.len() as u64);
    assert_eq!(dashboard_count(html, "Over budget"), over);
    assert_eq!(dashboard_count(html, "Near budget"), near);
    assert_eq!(dashboard_count(html, "Without budget"), none);
    let mut expected: BTreeMap<String, (Decimal, u64)> = BTreeMap::new();
    for r in records {
        let entry = expected.entry(r.currency.clone()).or_default();
        entry.0 += r.total_cost;
        entry.1 += 1;
    }
    let shown: Vec<(String, String, String)> = currency_totals(html)
        .into_iter()
        .map(|cells| (cells[0].clone(), cells[1].clone(), cells[3].clone()))
        .collect();
    let expected: Vec<(String, String, String)> = expected
        .into_iter()
        .map(|(currency, (total, customers))| {
            let money = Money::new(total, Currency::parse(&currency).unwrap()).to_string();
            (currency, money, customers.to_string())
        })
        .collect();
    assert_eq!(shown, expected);
}

/// The customer ids of the customer table's rows (from their links).
fn listed_customers(html: &str) -> HashSet<String> {
    let doc = scraper::Html::parse_document(html);
    let link = scraper::Selector::parse("table.customers tbody th a").unwrap();
    doc.select(&link)
        .filter_map(|a| a.value().attr("href"))
        .map(|href| href.trim_start_matches("/customers/").to_owned())
        .collect()
}

async fn assign(app: &TestApp, customers: &[&Record], to: &str) {
    let ids: Vec<CustomerId> = customers
        .iter()
        .map(|r| CustomerId::parse(&r.id).unwrap())
        .collect();
    app.store()
        .assign_owner(&ids, &owner(to), user_id(1))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_budget_editor_adds_and_removes_owners_on_the_customer_page() {
    let app = spawn_app().await;
    app.sign_in_and_load(EDITOR).await;
    let record = truth::usage_records(&app).await.remove(0);
    let page = format!("/customers/{}", record.id);
    let html = app.get_html(&page).await;
    assert!(html.contains("Nobody owns this customer"));
    assert!(listed_owners(&html).is_empty());
    // Those who signed in are suggested.
    assert!(
        html.contains(&format!("<option value=\"{EDITOR}\">")),
        "the editor is offered"
    );
    let csrf = TestApp::csrf_token(&html);

    // Someone who never signed in, named in any case: kept lower-case.
    let response = app.owner_form(&page, "owners", &csrf, NEWCOMER).await;
    assert_is_redirect_to(&response, &page);
    let html = app.get_html(&page).await;
    let newcomer = NEWCOMER.to_lowercase();
    assert!(html.contains(&format!("{newcomer} now owns")), "the flash");
    assert_eq!(listed_owners(&html), vec![newcomer.clone()]);
    let response = app.owner_form(&page, "owners", &csrf, EDITOR).await;
    assert_is_redirect_to(&response, &page);
    let html = app.get_html(&page).await;
    assert_eq!(
        listed_owners(&html),
        vec![EDITOR.to_owned(), newcomer.clone()]
    );

    // Adding again changes nothing and says so.
    app.owner_form(&page, "owners", &csrf, EDITOR).await;
    let html = app.get_html(&page).await;
    assert!(html.contains("already owns"));
    assert_eq!(listed_owners(&html).len(), 2);

    // Removing one.
    let response = app
        .owner_form(&page, "owners/remove", &csrf, &newcomer)
        .await;
    assert_is_redirect_to(&response, &page);
    let html = app.get_html(&page).await;
    assert!(html.contains(&format!("{newcomer} no longer owns")));
    assert_eq!(listed_owners(&html), vec![EDITOR.to_owned()]);
    let id = CustomerId::parse(&record.id).unwrap();
    assert_eq!(
        app.store().owners_of(&id).await.unwrap(),
        vec![owner(EDITOR)]
    );
}

#[tokio::test]
async fn a_name_that_is_not_a_sign_in_name_is_refused_next_to_the_field_and_nothing_is_saved() {
    let app = spawn_app().await;
    app.sign_in_and_load(EDITOR).await;
    let record = truth::usage_records(&app).await.remove(0);
    let page = format!("/customers/{}", record.id);
    let csrf = TestApp::csrf_token(&app.get_html(&page).await);
    for bad in ["adele", "", "a b@contoso.com", "@contoso.com"] {
        let response = app.owner_form(&page, "owners", &csrf, bad).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad:?}"
        );
        let html = response.text().await.unwrap();
        let error = select(&html, "#owner-error").concat();
        assert!(error.contains("Not added"), "{bad:?}: {error}");
        let doc = scraper::Html::parse_document(&html);
        let input = scraper::Selector::parse("input#owner").unwrap();
        let input = doc.select(&input).next().expect("the owner field");
        assert_eq!(input.value().attr("value"), Some(bad), "the input is kept");
        assert_eq!(input.value().attr("aria-invalid"), Some("true"));
    }
    let id = CustomerId::parse(&record.id).unwrap();
    assert!(app.store().owners_of(&id).await.unwrap().is_empty());
    // Without the CSRF token: refused, nothing saved.
    let response = app
        .post_form(&format!("{page}/owners"), &[("owner", EDITOR)])
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(app.store().owners_of(&id).await.unwrap().is_empty());
}

#[tokio::test]
async fn readers_see_no_owner_forms_and_are_refused_and_portfolio_admins_assign_but_edit_no_budget()
{
    let app = spawn_app().await;
    app.sign_in_and_load(READER).await;
    let record = truth::usage_records(&app).await.remove(0);
    let id = CustomerId::parse(&record.id).unwrap();
    app.store()
        .assign_owner(&[id], &owner(EDITOR), user_id(1))
        .await
        .unwrap();
    let page = format!("/customers/{}", record.id);
    let html = app.get_html(&page).await;
    assert_eq!(
        listed_owners(&html),
        vec![EDITOR.to_owned()],
        "readers see owners"
    );
    assert!(!html.contains("Add owner") && !html.contains("/owners/remove"));
    let csrf = TestApp::csrf_token(&html);
    for (path, who) in [("owners", NEWCOMER), ("owners/remove", EDITOR)] {
        let response = app.owner_form(&page, path, &csrf, who).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}");
    }
    assert_eq!(
        app.store().owners_of(&id).await.unwrap(),
        vec![owner(EDITOR)]
    );

    // The same person with the Portfolio admin app role.
    app.sandbox_control(
        reqwest::Method::PUT,
        "_sandbox/identity/roles",
        Some(
            json!({ "login": READER, "roles": ["Spendboard.Reader", "Spendboard.PortfolioAdmin"] }),
        ),
    )
    .await;
    let admin = app.another_session(READER).await;
    let html = app.html_as(&admin, &page).await;
    assert!(html.contains("Portfolio admin"), "the role is shown");
    assert!(html.contains("Add owner"));
    assert!(!html.contains("Save budget"), "no budget form");
    let csrf = TestApp::csrf_token(&html);
    let response = admin
        .post(app.url(&format!("{page}/owners")))
        .form(&[("csrf_token", csrf.as_str()), ("owner", NEWCOMER)])
        .send()
        .await
        .unwrap();
    assert_is_redirect_to(&response, &page);
    assert_eq!(
        app.store().owners_of(&id).await.unwrap(),
        vec![owner(EDITOR), owner(NEWCOMER)]
    );
    let response = admin
        .post(app.url(&format!("{page}/budget")))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("amount", "100"),
            ("based_on", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn my_customers_is_the_default_for_an_owner_with_the_counts_and_totals_of_that_set() {
    let app = spawn_app().await;
    app.sign_in_and_load(EDITOR).await;
    let records = truth::usage_records(&app).await;
    assert_eq!(records.len(), 60);
    // Adele owns every fourth customer (several currencies); Megan every seventh; one
    // customer is owned by both.
    let mine: Vec<&Record> = records.iter().step_by(4).collect();
    let megans: Vec<&Record> = records.iter().step_by(7).collect();
    assign(&app, &mine, EDITOR).await;
    assign(&app, &megans, READER).await;
    let currencies: HashSet<&str> = mine.iter().map(|r| r.currency.as_str()).collect();
    assert!(currencies.len() > 1, "the portfolio spans currencies");

    let html = app.dashboard("").await;
    assert_eq!(
        select(&html, ".sets [aria-current=page]"),
        vec!["My customers"]
    );
    assert_numbers_of(&html, &mine);
    assert_eq!(matching(&html), mine.len() as u64);
    let ids: HashSet<String> = mine.iter().map(|r| r.id.clone()).collect();
    assert_eq!(listed_customers(&html), ids);
    // The summary's links stay within the set.
    assert_eq!(
        hrefs(&html, ".status-over a"),
        vec![format!(
            "/?status=over&sort=percent&dir=desc&owner={}",
            urlencode(EDITOR)
        )]
    );

    // All customers.
    let html = app.dashboard("owner=all").await;
    assert_eq!(
        select(&html, ".sets [aria-current=page]"),
        vec!["All customers"]
    );
    let all: Vec<&Record> = records.iter().collect();
    assert_numbers_of(&html, &all);
    assert_eq!(matching(&html), 60);

    // Another owner's customers, filtered by status too.
    let html = app.dashboard(&format!("owner={}", urlencode(READER))).await;
    assert_numbers_of(&html, &megans);
    let over: HashSet<String> = megans
        .iter()
        .filter(|r| r.budget.is_some_and(|b| r.total_cost >= b))
        .map(|r| r.id.clone())
        .collect();
    let html = app
        .dashboard(&format!("owner={}&status=over", urlencode(READER)))
        .await;
    assert_eq!(listed_customers(&html), over);
    // The owner filter offers every owner with their number of customers.
    let options = select(&html, "select#owner option");
    assert_eq!(
        options,
        vec![
            "All customers (60)".to_owned(),
            format!("My customers ({})", mine.len()),
            format!("{READER} ({})", megans.len()),
        ]
    );

    // The CSV export covers the same set.
    let csv = app
        .get(&format!("/customers.csv?owner={}", urlencode(EDITOR)))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(csv.lines().count(), 1 + mine.len());

    // Someone who owns nothing is an empty set when asked for, not everyone.
    let html = app
        .dashboard(&format!("owner={}", urlencode(NEWCOMER)))
        .await;
    assert_eq!(dashboard_count(&html, "Customers"), 0);
    assert_eq!(matching(&html), 0);
    assert!(html.contains("No customer matches."));
}

#[tokio::test]
async fn someone_who_owns_nothing_sees_all_customers_by_default() {
    let app = spawn_app().await;
    app.sign_in_and_load(READER).await;
    let records = truth::usage_records(&app).await;
    let adeles: Vec<&Record> = records.iter().take(3).collect();
    assign(&app, &adeles, EDITOR).await;
    let html = app.dashboard("").await;
    assert_eq!(
        select(&html, ".sets [aria-current=page]"),
        vec!["All customers"]
    );
    assert_eq!(dashboard_count(&html, "Customers"), 60);
    assert_eq!(
        select(&html, "select#owner option"),
        vec![
            "All customers (60)".to_owned(),
            "My customers (0)".to_owned(),
            format!("{EDITOR} (3)"),
        ]
    );
}

/// The hidden `assign` fields of an owner preview, with its CSRF token, as the confirm form
/// posts them.
fn confirm_form(html: &str) -> Vec<(String, String)> {
    let doc = scraper::Html::parse_document(html);
    let inputs = scraper::Selector::parse("form[action='/bulk/owners/confirm'] input").unwrap();
    doc.select(&inputs)
        .filter_map(|i| {
            Some((
                i.value().attr("name")?.to_owned(),
                i.value().attr("value")?.to_owned(),
            ))
        })
        .collect()
}

#[tokio::test]
async fn owners_are_given_to_a_selection_or_an_uploaded_file_only_after_a_preview() {
    let app = spawn_app().await;
    app.sign_in_and_load(EDITOR).await;
    let records = truth::usage_records(&app).await;
    let token = TestApp::csrf_token(&app.dashboard("owner=all").await);
    let over: HashSet<String> = records
        .iter()
        .filter(|r| r.budget.is_some_and(|b| r.total_cost >= b))
        .map(|r| r.id.clone())
        .collect();
    assert!(!over.is_empty());

    // All customers over budget to Megan: previewed, nothing saved yet.
    let response = app
        .post_form(
            "/bulk/owners/preview",
            &[
                ("csrf_token", &token),
                ("all_matching", "1"),
                ("owner", "all"),
                ("status", "over"),
                ("new_owner", READER),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap();
    assert!(html.contains(&format!(
        "{} of {} assignments are new",
        over.len(),
        over.len()
    )));
    assert!(
        app.store()
            .customers_of(&owner(READER))
            .await
            .unwrap()
            .is_empty()
    );
    let form = confirm_form(&html);
    let response = app
        .client
        .post(app.url("/bulk/owners/confirm"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_is_redirect_to(&response, &format!("/?owner={}", urlencode(READER)));
    let megans: HashSet<String> = app
        .store()
        .customers_of(&owner(READER))
        .await
        .unwrap()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(megans, over);

    // A bad sign-in name or an empty selection: nothing planned.
    for (fields, message) in [
        (
            vec![
                ("all_matching", "1"),
                ("owner", "all"),
                ("new_owner", "megan"),
            ],
            "Not planned",
        ),
        (vec![("new_owner", READER)], "Select at least one customer"),
    ] {
        let mut form = vec![("csrf_token", token.as_str())];
        form.extend(fields);
        let response = app.post_form("/bulk/owners/preview", &form).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let error = select(&response.text().await.unwrap(), "#owners-error").concat();
        assert!(error.contains(message), "{error}");
    }

    // A file: bad lines listed, nothing saved; then a good one.
    let first = &records[0];
    let second = &records[1];
    let bad = format!(
        "customer,owner\n{},not-a-name\nNobody Ltd,{NEWCOMER}\n{},{NEWCOMER}\n{},{NEWCOMER}\n",
        first.id, second.id, second.id
    );
    let response = crate::bulk::upload_to(
        &app,
        &app.client,
        "/bulk/owners/upload",
        &token,
        ("owners.csv", "text/csv", bad.as_bytes()),
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let errors = select(&response.text().await.unwrap(), "#upload-errors li");
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert!(errors[0].starts_with("Line 2: a sign-in name looks like"));
    assert!(errors[1].starts_with("Line 3: no customer is named exactly \"Nobody Ltd\""));
    assert!(errors[2].starts_with("Line 5: the same as line 4"));
    assert!(
        app.store()
            .customers_of(&owner(NEWCOMER))
            .await
            .unwrap()
            .is_empty()
    );

    let good = format!("\"{}\",{NEWCOMER}\n{},{NEWCOMER}\n", first.name, second.id);
    let response = crate::bulk::upload_to(
        &app,
        &app.client,
        "/bulk/owners/upload",
        &token,
        ("owners.csv", "text/csv", good.as_bytes()),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let form = confirm_form(&response.text().await.unwrap());
    app.client
        .post(app.url("/bulk/owners/confirm"))
        .form(&form)
        .send()
        .await
        .unwrap();
    let newcomers: HashSet<String> = app
        .store()
        .customers_of(&owner(NEWCOMER))
        .await
        .unwrap()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        newcomers,
        HashSet::from([first.id.clone(), second.id.clone()])
    );

    // Readers are refused.
    let reader = app.another_session(READER).await;
    let reader_token = TestApp::csrf_token(&app.html_as(&reader, "/").await);
    for path in ["/bulk/owners/preview", "/bulk/owners/confirm"] {
        let response = reader
            .post(app.url(path))
            .form(&[
                ("csrf_token", reader_token.as_str()),
                ("assign", &format!("{} {READER}", first.id)),
                ("all_matching", "1"),
                ("new_owner", READER),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}");
    }
    let response = crate::bulk::upload_to(
        &app,
        &reader,
        "/bulk/owners/upload",
        &reader_token,
        ("owners.csv", "text/csv", good.as_bytes()),
    )
    .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}
