//! Budget alerts through a billing period: the sandbox's clock advances a day at a time and
//! each refresh is evaluated; messages go through a real SMTP server (aiosmtpd, started by
//! the test: `tests/support/smtp_capture.py`) and a real HTTP receiver for the webhook. The
//! store's rules, firings and outbox claims on both databases.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, NaiveDate, TimeDelta, TimeZone, Utc};
use partner_center_sandbox::SandboxOptions;
use reqwest::{Method, StatusCode};
use rust_decimal::Decimal;
use secrecy::SecretString;
use serde_json::{Value, json};
use spendboard::alerts::{Digests, Evaluator};
use spendboard::config::{SmtpSecurity, SmtpSettings};
use spendboard::domain::{
    Currency, CustomerId, ForecastMethod, Money, SignInName, Threshold, ThresholdBasis, UsageStatus,
};
use spendboard::refresh::RefreshOutcome;
use spendboard::state::AppState;
use spendboard::store::{
    Channel, CustomerSnapshot, DashboardQuery, DigestPreferences, FiringKey, FiringRecord,
    NewDelivery, NewFiring,
};

use crate::databases::on_both_databases;
use crate::helpers::{
    EDITOR, READER, TestApp, assert_is_redirect_to, eventually, sandbox_delegated_token,
    spawn_app_with, user_id,
};

const PARTNER: &str = "alerts@northwindcsp.example";
const OWNER_1: &str = "adele.owner@northwindcsp.example";
const OWNER_2: &str = "alex.owner@northwindcsp.example";

/// A real SMTP server (aiosmtpd) on `port`, appending what it accepts to a JSON-lines file.
struct SmtpServer {
    port: u16,
    out: PathBuf,
    child: Option<Child>,
}

impl SmtpServer {
    /// A server that is not running yet, on a free port.
    fn stopped() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let out =
            std::env::temp_dir().join(format!("spendboard-mail-{}.jsonl", uuid::Uuid::new_v4()));
        Self {
            port,
            out,
            child: None,
        }
    }

    /// A running server.
    async fn started() -> Self {
        let mut server = Self::stopped();
        server.start().await;
        server
    }

    async fn start(&mut self) {
        let has_aiosmtpd = Command::new("python3")
            .args(["-c", "import aiosmtpd"])
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            has_aiosmtpd,
            "the alert tests need python3 with aiosmtpd, which is missing: \
             `python3 -m pip install aiosmtpd==1.4.6` (scripts/test.sh installs it)"
        );
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/smtp_capture.py");
        let child = Command::new("python3")
            .args([
                script,
                &self.port.to_string(),
                &self.out.display().to_string(),
            ])
            .stdout(Stdio::null())
            .spawn()
            .expect("python3 with aiosmtpd (pip install aiosmtpd)");
        self.child = Some(child);
        let port = self.port;
        eventually(15, "the SMTP server listens", || async move {
            tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .ok()
                .map(|_| ())
        })
        .await;
    }

    /// The messages accepted so far. A last line without its newline is a message the
    /// server is still writing: it is read next time.
    fn messages(&self) -> Vec<Value> {
        let captured = std::fs::read(&self.out).unwrap_or_default();
        let complete = captured
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(&captured[..0], |end| &captured[..end]);
        String::from_utf8_lossy(complete)
            .lines()
            .map(|line| serde_json::from_str(line).expect("a JSON line"))
            .collect()
    }

    /// The messages to `to` whose subject names `customer_name`.
    fn to(&self, to: &str, customer_name: &str) -> Vec<Value> {
        self.messages()
            .into_iter()
            .filter(|m| {
                m["to"]
                    .as_array()
                    .is_some_and(|t| t.iter().any(|a| a == to))
                    && m["subject"]
                        .as_str()
                        .is_some_and(|s| s.contains(customer_name))
            })
            .collect()
    }

    fn settings(&self) -> SmtpSettings {
        SmtpSettings {
            host: "127.0.0.1".into(),
            port: self.port,
            security: SmtpSecurity::None,
            username: None,
            password: None,
            timeout_seconds: 5,
        }
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            child.kill().ok();
            child.wait().ok();
        }
        std::fs::remove_file(&self.out).ok();
    }
}

/// A real HTTP receiver for the webhook: keeps every JSON body POSTed to it.
struct WebhookReceiver {
    url: String,
    received: Arc<Mutex<Vec<Value>>>,
}

impl WebhookReceiver {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let received = Arc::new(Mutex::new(Vec::new()));
        let keep = received.clone();
        let server = actix_web::HttpServer::new(move || {
            let keep = keep.clone();
            actix_web::App::new().route(
                "/hook",
                actix_web::web::post().to(move |body: actix_web::web::Json<Value>| {
                    let keep = keep.clone();
                    async move {
                        keep.lock().unwrap().push(body.into_inner());
                        actix_web::HttpResponse::Ok().body("1")
                    }
                }),
            )
        })
        .workers(1)
        .listen(listener)
        .expect("the receiver listens")
        .run();
        tokio::spawn(server);
        Self { url, received }
    }

    fn titles(&self) -> Vec<String> {
        self.received
            .lock()
            .unwrap()
            .iter()
            .map(|card| card["title"].as_str().unwrap_or_default().to_owned())
            .collect()
    }
}

fn noon(year: i32, month: u32, day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(year, month, day, 12, 0, 0).unwrap()
}

/// The app at noon on 3 November 2026 with alerts sent to `smtp` every second (retries after
/// 1 s, at most 2 s apart), signed in as the editor with the first refresh done.
async fn spawn_with_mail(smtp: &SmtpServer, webhook: Option<&WebhookReceiver>) -> TestApp {
    let smtp = smtp.settings();
    let webhook = webhook.map(|w| SecretString::from(w.url.clone()));
    let app = spawn_app_with(
        SandboxOptions {
            now: Some(noon(2026, 11, 3)),
            ..SandboxOptions::default()
        },
        |settings| {
            settings.alerts.smtp = Some(smtp);
            settings.alerts.from = "Spendboard <spendboard@northwindcsp.example>".into();
            settings.alerts.partner_address = Some(PARTNER.into());
            settings.alerts.webhook_url = webhook;
            settings.alerts.deliver_every_seconds = 1;
            settings.alerts.retry_base_seconds = 1;
            settings.alerts.retry_max_seconds = 2;
        },
    )
    .await;
    app.sign_in_and_load(EDITOR).await;
    app
}

async fn refresh(app: &TestApp) {
    let outcome = spendboard::cli::refresh_once(app.state.settings.clone())
        .await
        .unwrap();
    assert_eq!(outcome, RefreshOutcome::Refreshed { customers: 60 });
}

async fn next_day(app: &TestApp) {
    app.sandbox_control(
        Method::POST,
        "_sandbox/clock/advance",
        Some(json!({ "days": 1 })),
    )
    .await;
    refresh(app).await;
}

async fn snapshots(app: &TestApp) -> Vec<CustomerSnapshot> {
    app.store()
        .dashboard_page(&DashboardQuery {
            page_size: 1000,
            ..DashboardQuery::default()
        })
        .await
        .unwrap()
        .rows
}

/// The alert evaluator of the instance of `state`, as its refreshes evaluate with.
fn evaluator(state: &AppState) -> Evaluator {
    Evaluator::new(
        state.store.clone(),
        &state.settings.alerts,
        state.public_url.clone(),
    )
}

async fn snapshot(app: &TestApp, id: &CustomerId) -> CustomerSnapshot {
    app.store().snapshot(id).await.unwrap().expect("a snapshot")
}

/// Sets a customer's budget at the sandbox (Partner Center), as another tool would.
async fn set_budget(app: &TestApp, customer: &CustomerId, amount: Option<Decimal>) {
    let token = sandbox_delegated_token(&app.sandbox, EDITOR).await;
    let response = reqwest::Client::new()
        .patch(
            app.sandbox
                .base_url
                .join(&format!("v1/customers/{customer}/usagebudget"))
                .unwrap(),
        )
        .bearer_auth(token)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        // A JSON number with every digit, as Partner Center takes it.
        .body(format!(
            "{{\"amount\": {}}}",
            amount.map_or_else(|| "null".to_owned(), |a| a.to_string())
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "budget set at the sandbox"
    );
}

async fn firings(app: &TestApp) -> Vec<FiringRecord> {
    app.store().recent_firings(None, 10_000).await.unwrap()
}

/// Waits until every recorded delivery was sent.
async fn all_sent(app: &TestApp) -> Vec<FiringRecord> {
    eventually(30, "every alert delivered", || async {
        let firings = firings(app).await;
        firings
            .iter()
            .all(|f| f.deliveries.iter().all(|d| d.sent_at.is_some()))
            .then_some(firings)
    })
    .await
}

/// A customer spending something, for a budget of our own.
fn spending_customer(snapshots: &[CustomerSnapshot]) -> CustomerSnapshot {
    snapshots
        .iter()
        .filter(|s| s.total_cost.amount() > Decimal::from(10))
        .min_by_key(|s| s.customer_id)
        .cloned()
        .expect("a customer with spend")
}

fn ceil_to_currency(amount: Decimal, currency: &Currency) -> Decimal {
    let scale = currency.minor_units();
    amount.round_dp_with_strategy(scale, rust_decimal::RoundingStrategy::AwayFromZero)
}

#[tokio::test]
async fn a_threshold_fires_once_at_the_refresh_that_crosses_it_to_the_owners_and_again_after_a_raise()
 {
    let smtp = SmtpServer::started().await;
    let webhook = WebhookReceiver::start();
    let app = spawn_with_mail(&smtp, Some(&webhook)).await;
    let before = snapshots(&app).await;
    let target = spending_customer(&before);
    let name = target.company_name.clone();
    let id = target.customer_id;
    let without_budget: Vec<CustomerId> = before
        .iter()
        .filter(|s| s.budget.is_none())
        .map(|s| s.customer_id)
        .collect();
    assert!(
        !without_budget.is_empty(),
        "the sandbox has customers without a budget"
    );

    // Two owners, and the customer's own rule set: 100 % of actual spend only.
    for owner in [OWNER_1, OWNER_2] {
        app.store()
            .assign_owner(&[id], &SignInName::parse(owner).unwrap(), user_id(1))
            .await
            .unwrap();
    }
    let hundred = Threshold::new(ThresholdBasis::Actual, 100).unwrap();
    assert!(
        app.store()
            .add_alert_rule(Some(&id), hundred, user_id(1))
            .await
            .unwrap()
    );
    let mut budget = ceil_to_currency(
        target.total_cost.amount() * Decimal::new(125, 2),
        target.currency(),
    );
    set_budget(&app, &id, Some(budget)).await;
    refresh(&app).await;
    // What the first refresh sent about it, with its original budget and no owners yet.
    all_sent(&app).await;
    let partner_before = smtp.to(PARTNER, &name).len();
    let cards_about = |name: &str| webhook.titles().iter().filter(|t| t.contains(name)).count();
    let cards_before = cards_about(&name);

    let mut crossings = Vec::new();
    for round in 0..2 {
        let mut crossed_on = None;
        for _ in 0..12 {
            let now = snapshot(&app, &id).await;
            assert_eq!(now.budget.as_ref().map(Money::amount), Some(budget));
            let crossed = now.total_cost.amount() >= budget;
            all_sent(&app).await;
            let fired: Vec<FiringRecord> = firings(&app)
                .await
                .into_iter()
                .filter(|f| f.customer == id && f.budget.amount() == budget)
                .collect();
            if crossed {
                crossed_on.get_or_insert(now.forecast_day());
                assert_eq!(
                    fired.len(),
                    1,
                    "fired once for this budget, at the crossing"
                );
                assert_eq!(fired[0].threshold, hundred);
                let recipients: Vec<&str> = fired[0]
                    .deliveries
                    .iter()
                    .map(|d| d.recipient.as_str())
                    .collect();
                assert_eq!(recipients, [OWNER_1, OWNER_2, "webhook"], "to the owners");
            } else {
                assert!(fired.is_empty(), "nothing fires before the crossing");
            }
            if crossed_on.is_some_and(|day| day < now.forecast_day()) {
                break; // one more refresh after the crossing sent nothing new
            }
            next_day(&app).await;
        }
        assert!(
            crossed_on.is_some(),
            "the budget was crossed within 12 days"
        );
        crossings.push(crossed_on);
        // Every owner got exactly one message per crossing; the partner address none.
        for owner in [OWNER_1, OWNER_2] {
            assert_eq!(smtp.to(owner, &name).len(), round + 1, "{owner}");
        }
        assert_eq!(
            smtp.to(PARTNER, &name).len(),
            partner_before,
            "owners replace the partner address"
        );
        assert_eq!(
            cards_about(&name),
            cards_before + round + 1,
            "the webhook got each firing once"
        );

        // The budget is raised above the spend: the threshold may fire again once crossed.
        let spend = snapshot(&app, &id).await.total_cost.amount();
        budget = ceil_to_currency(spend * Decimal::new(125, 2), target.currency());
        set_budget(&app, &id, Some(budget)).await;
        refresh(&app).await;
    }
    assert!(crossings[0] < crossings[1]);

    // What the owner read: amounts in the currency, the forecast, the link to the customer.
    let first = &smtp.to(OWNER_1, &name)[0];
    let subject = first["subject"].as_str().unwrap();
    assert!(
        subject.contains("reached 100 % of actual spend (November 2026)"),
        "{subject}"
    );
    assert_eq!(first["from"], "spendboard@northwindcsp.example");
    let link = format!("{}/customers/{id}", app.address);
    for part in ["text", "html"] {
        let body = first[part].as_str().expect("plain text and HTML");
        assert!(body.contains(&link), "{part}: {body}");
        assert!(body.contains(target.currency().code()), "{part}: {body}");
    }

    // Customers without a budget never fired, whatever their spend.
    let fired = firings(&app).await;
    assert!(fired.iter().all(|f| !without_budget.contains(&f.customer)));
    // Customers without owners went to the partner address.
    let other = fired
        .iter()
        .find(|f| f.customer != id)
        .expect("other firings");
    let recipients: Vec<&str> = other
        .deliveries
        .iter()
        .map(|d| d.recipient.as_str())
        .collect();
    assert_eq!(recipients, [PARTNER, "webhook"]);
}

#[tokio::test]
async fn a_forecast_threshold_fires_when_the_projection_crosses_and_says_how_it_was_made() {
    let smtp = SmtpServer::started().await;
    let app = spawn_with_mail(&smtp, None).await;
    for _ in 0..3 {
        next_day(&app).await;
    }
    let target = spending_customer(&snapshots(&app).await);
    let id = target.customer_id;
    let name = target.company_name.clone();
    app.store()
        .assign_owner(&[id], &SignInName::parse(OWNER_1).unwrap(), user_id(1))
        .await
        .unwrap();
    let forecast = Threshold::new(ThresholdBasis::Forecast, 100).unwrap();
    let actual = Threshold::new(ThresholdBasis::Actual, 100).unwrap();
    for rule in [forecast, actual] {
        app.store()
            .add_alert_rule(Some(&id), rule, user_id(1))
            .await
            .unwrap();
    }
    let projected = target.forecast.as_ref().unwrap().projected_total.amount();
    assert!(
        projected > target.total_cost.amount(),
        "spend grows, so does the projection"
    );

    // A budget above the projection: nothing.
    set_budget(
        &app,
        &id,
        Some(ceil_to_currency(
            projected * Decimal::TWO,
            target.currency(),
        )),
    )
    .await;
    refresh(&app).await;
    all_sent(&app).await;
    assert!(smtp.to(OWNER_1, &name).is_empty());

    // Between the spend and the projection: the forecast threshold fires, the actual not.
    let budget = ceil_to_currency(
        (target.total_cost.amount() + projected) / Decimal::TWO,
        target.currency(),
    );
    set_budget(&app, &id, Some(budget)).await;
    refresh(&app).await;
    let now = snapshot(&app, &id).await;
    assert!(
        now.total_cost.amount() < budget
            && now.forecast.as_ref().unwrap().projected_total.amount() >= budget
    );
    all_sent(&app).await;
    let mail = smtp.to(OWNER_1, &name);
    assert_eq!(mail.len(), 1);
    assert!(
        mail[0]["subject"]
            .as_str()
            .unwrap()
            .contains("100 % of forecast spend")
    );
    let method = now.forecast.as_ref().unwrap().method;
    assert!(matches!(method, ForecastMethod::RecentDailyAverage { .. }));
    let text = mail[0]["text"].as_str().unwrap().replace("\r\n", "\n");
    assert!(
        text.contains(&format!("(forecast from the {})", method.describe())),
        "{text}"
    );
    let projected_money = &now.forecast.as_ref().unwrap().projected_total;
    assert!(text.contains(&projected_money.to_string()), "{text}");
    let fired = firings(&app).await;
    let ours: Vec<_> = fired
        .iter()
        .filter(|f| f.customer == id && f.budget.amount() == budget)
        .collect();
    assert_eq!(ours.len(), 1);
    assert_eq!(ours[0].threshold, forecast);
    assert_eq!(
        ours[0].forecast_method.as_deref(),
        Some(method.describe().as_str())
    );

    // The same refresh again: nothing new.
    refresh(&app).await;
    all_sent(&app).await;
    assert_eq!(smtp.to(OWNER_1, &name).len(), 1);
}

#[tokio::test]
async fn with_the_mail_server_down_nothing_is_lost_and_nothing_is_sent_twice_when_it_returns() {
    let mut smtp = SmtpServer::stopped();
    let app = spawn_with_mail(&smtp, None).await;
    // The first refresh fired for every customer over its thresholds; nothing could be sent.
    let fired = firings(&app).await;
    let deliveries: usize = fired.iter().map(|f| f.deliveries.len()).sum();
    assert!(
        deliveries >= 3,
        "the sandbox has customers over their thresholds"
    );
    eventually(30, "every delivery failed twice", || async {
        let firings = firings(&app).await;
        firings
            .iter()
            .flat_map(|f| &f.deliveries)
            .all(|d| d.attempts >= 2 && d.sent_at.is_none())
            .then_some(())
    })
    .await;
    let failed = firings(&app).await;
    let error = failed[0].deliveries[0]
        .last_error
        .clone()
        .unwrap_or_default();
    assert!(error.contains("SMTP"), "the error is kept: {error}");
    assert!(smtp.messages().is_empty());

    smtp.start().await;
    let sent = all_sent(&app).await;
    // A few more delivery rounds: nothing goes out again.
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let messages = smtp.messages();
    assert_eq!(
        messages.len(),
        deliveries,
        "each delivery arrived exactly once"
    );
    let mut subjects: Vec<&str> = messages
        .iter()
        .map(|m| m["subject"].as_str().unwrap())
        .collect();
    subjects.sort_unstable();
    subjects.dedup();
    assert_eq!(subjects.len(), deliveries, "no message twice");
    for delivery in sent.iter().flat_map(|f| &f.deliveries) {
        assert!(
            delivery.attempts >= 3,
            "failed attempts and the success are all counted"
        );
        assert_eq!(delivery.transport.as_deref(), Some("smtp"));
        assert_eq!(delivery.last_error, None);
    }
}

#[tokio::test]
async fn two_instances_record_each_crossing_once_and_send_each_message_once() {
    let smtp = SmtpServer::stopped();
    let app = spawn_with_mail(&smtp, None).await;
    let (_, second) = crate::instances::second_instance(&app).await;
    // Both instances evaluate the same refresh (as a refresh on each would): what the first
    // refresh recorded is not recorded again...
    let snapshots = snapshots(&app).await;
    let (first_evaluator, second_evaluator) = (evaluator(&app.state), evaluator(&second));
    let (a, b) = tokio::join!(
        first_evaluator.evaluate(&snapshots),
        second_evaluator.evaluate(&snapshots),
    );
    assert_eq!(
        (a.unwrap(), b.unwrap()),
        (0, 0),
        "the first refresh recorded them"
    );
    // ...and a threshold new to every customer with spend is recorded once, whichever
    // instance gets there first.
    let one = Threshold::new(ThresholdBasis::Actual, 1).unwrap();
    app.store()
        .add_alert_rule(None, one, user_id(1))
        .await
        .unwrap();
    let (a, b) = tokio::join!(
        first_evaluator.evaluate(&snapshots),
        second_evaluator.evaluate(&snapshots),
    );
    let expected = snapshots
        .iter()
        .filter(|s| {
            (s.budget.as_ref()).is_some_and(|b| one.is_crossed(s.total_cost.amount(), b.amount()))
        })
        .count();
    assert!(expected > 0);
    assert_eq!(a.unwrap() + b.unwrap(), expected);
    let recorded = firings(&app)
        .await
        .iter()
        .filter(|f| f.threshold == one)
        .count();
    assert_eq!(recorded, expected);
    let deliveries: usize = firings(&app).await.iter().map(|f| f.deliveries.len()).sum();

    // Both instances' senders work on one outbox once the server is up.
    let mut smtp = smtp;
    smtp.start().await;
    all_sent(&app).await;
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    assert_eq!(smtp.messages().len(), deliveries);
}

#[tokio::test]
async fn the_alerts_page_lists_what_fired_to_whom_and_the_rules_are_edited_with_errors_next_to_the_field()
 {
    let smtp = SmtpServer::started().await;
    let app = spawn_with_mail(&smtp, None).await;
    all_sent(&app).await;
    let html = app.get_html("/alerts").await;
    let fired = firings(&app).await;
    assert!(html.contains(&fired[0].customer_name.replace('&', "&amp;")));
    assert!(html.contains(PARTNER));
    assert!(html.contains("Sent"));

    // The partner-wide defaults are listed; a bad percentage and a duplicate are refused
    // with the error next to the field and nothing saved.
    let before = app.store().alert_rules(None).await.unwrap();
    assert_eq!(before.len(), 3);
    let csrf = TestApp::csrf_token(&html);
    for (percent, error) in [
        ("0", "Enter a whole percentage from 1 to 1000"),
        ("80.5", "Enter a whole percentage from 1 to 1000"),
        ("80", "already"),
    ] {
        let response = app
            .post_form(
                "/alerts/rules",
                &[
                    ("csrf_token", &csrf),
                    ("basis", "actual"),
                    ("percent", percent),
                ],
            )
            .await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{percent}"
        );
        let page = response.text().await.unwrap();
        assert!(page.contains(error), "{percent}: {page}");
        assert!(
            page.contains(&format!("value=\"{percent}\"")),
            "the input is kept"
        );
        assert_eq!(app.store().alert_rules(None).await.unwrap(), before);
    }
    let added = app
        .post_form(
            "/alerts/rules",
            &[
                ("csrf_token", &csrf),
                ("basis", "forecast"),
                ("percent", "120"),
            ],
        )
        .await;
    assert_is_redirect_to(&added, "/alerts");
    assert_eq!(app.store().alert_rules(None).await.unwrap().len(), 4);

    // The customer page shows the thresholds that apply and their state; a customer's own
    // set is edited there, with the same checks.
    let fired_one = &fired[0];
    let path = format!("/customers/{}", fired_one.customer);
    let page = app.get_html(&path).await;
    assert!(page.contains("The partner-wide thresholds"));
    assert!(
        page.contains(&format!("{}: fired", fired_one.threshold)),
        "its state: {page}"
    );
    let csrf = TestApp::csrf_token(&page);
    let rules_path = format!("{path}/alert-rules");
    for (percent, error) in [
        ("1001", "Enter a whole percentage from 1 to 1000"),
        ("", "Enter a whole percentage from 1 to 1000"),
    ] {
        let response = app
            .post_form(
                &rules_path,
                &[
                    ("csrf_token", &csrf),
                    ("basis", "forecast"),
                    ("percent", percent),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(response.text().await.unwrap().contains(error));
    }
    let own = Some(&fired_one.customer);
    assert!(app.store().alert_rules(own).await.unwrap().is_empty());
    let added = app
        .post_form(
            &rules_path,
            &[
                ("csrf_token", &csrf),
                ("basis", "forecast"),
                ("percent", "150"),
            ],
        )
        .await;
    assert_is_redirect_to(&added, &path);
    let page = app.get_html(&path).await;
    assert!(
        page.contains("This customer&#39;s own thresholds")
            || page.contains("This customer's own thresholds")
    );
    assert!(page.contains("150 % of forecast spend"));
    let duplicate = app
        .post_form(
            &rules_path,
            &[
                ("csrf_token", &csrf),
                ("basis", "forecast"),
                ("percent", "150"),
            ],
        )
        .await;
    assert_eq!(duplicate.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        duplicate
            .text()
            .await
            .unwrap()
            .contains("already has a threshold of 150 % of forecast spend")
    );
    assert_eq!(app.store().alert_rules(own).await.unwrap().len(), 1);

    // A reader sees the page but may not change the rules.
    let reader = app.another_session(READER).await;
    let page = app.html_as(&reader, "/alerts").await;
    let reader_csrf = TestApp::csrf_token(&page);
    let refused = reader
        .post(app.url("/alerts/rules"))
        .form(&[
            ("csrf_token", reader_csrf.as_str()),
            ("basis", "actual"),
            ("percent", "50"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.store().alert_rules(None).await.unwrap().len(), 4);
}

/// Creates a team through the Teams page as the editor; its id.
async fn create_team(app: &TestApp, name: &str, url: &str, members: &[&str]) -> i64 {
    let csrf = TestApp::csrf_token(&app.get_html("/teams").await);
    let created = app
        .post_form(
            "/teams",
            &[("csrf_token", &csrf), ("name", name), ("webhook_url", url)],
        )
        .await;
    assert_is_redirect_to(&created, "/teams");
    let id = team_id(app, name).await;
    for member in members {
        let added = app
            .team_form(id, "members", &csrf, ("member", member))
            .await;
        assert_is_redirect_to(&added, "/teams");
    }
    id
}

async fn team_id(app: &TestApp, name: &str) -> i64 {
    let teams = app.store().alert_teams().await.unwrap();
    teams.iter().find(|t| t.name == name).expect("the team").id
}

#[tokio::test]
async fn a_firing_goes_once_to_each_team_webhook_of_the_owners_and_else_to_the_partner_wide_one() {
    const OWNER_3: &str = "alan.owner@northwindcsp.example";
    let smtp = SmtpServer::started().await;
    let partner_wide = WebhookReceiver::start();
    let (west, east) = (WebhookReceiver::start(), WebhookReceiver::start());
    let app = spawn_with_mail(&smtp, Some(&partner_wide)).await;
    all_sent(&app).await;

    // Two teams with their own receivers; a third shares West's receiver.
    create_team(&app, "West", &west.url, &[OWNER_1]).await;
    create_team(&app, "East", &east.url, &[OWNER_2]).await;
    create_team(&app, "West too", &west.url, &[OWNER_2]).await;
    create_team(&app, "No webhook", "", &[OWNER_3]).await;

    // One customer owned by members of both teams, one whose owner has no team webhook.
    let mut spending: Vec<CustomerSnapshot> = snapshots(&app)
        .await
        .into_iter()
        .filter(|s| s.total_cost.amount() > Decimal::from(10))
        .collect();
    spending.sort_by_key(|s| s.customer_id);
    let (shared, lone) = (spending[0].clone(), spending[1].clone());
    for (customer, owner) in [(&shared, OWNER_1), (&shared, OWNER_2), (&lone, OWNER_3)] {
        app.store()
            .assign_owner(
                &[customer.customer_id],
                &SignInName::parse(owner).unwrap(),
                user_id(1),
            )
            .await
            .unwrap();
    }
    let cards = |receiver: &WebhookReceiver, name: &str| {
        receiver
            .titles()
            .iter()
            .filter(|t| t.contains(name))
            .count()
    };
    let partner_wide_before = (
        cards(&partner_wide, &shared.company_name),
        cards(&partner_wide, &lone.company_name),
    );

    // Budgets below the spend: the actual-spend thresholds fire at the next refresh.
    let budget_of = |customer: &CustomerSnapshot| {
        ceil_to_currency(
            customer.total_cost.amount() * Decimal::new(9, 1),
            customer.currency(),
        )
    };
    for customer in [&shared, &lone] {
        set_budget(&app, &customer.customer_id, Some(budget_of(customer))).await;
    }
    refresh(&app).await;
    let fired = all_sent(&app).await;
    let new_firings = |customer: &CustomerSnapshot| -> Vec<FiringRecord> {
        fired
            .iter()
            .filter(|f| {
                f.customer == customer.customer_id && f.budget.amount() == budget_of(customer)
            })
            .cloned()
            .collect()
    };
    let (shared_fired, lone_fired) = (new_firings(&shared), new_firings(&lone));
    assert!(!shared_fired.is_empty() && !lone_fired.is_empty());

    // Each team receiver got one card per firing of the shared customer (West once, though
    // two of the owners' teams have it), the partner-wide receiver none of them.
    assert_eq!(cards(&west, &shared.company_name), shared_fired.len());
    assert_eq!(cards(&east, &shared.company_name), shared_fired.len());
    assert_eq!(
        cards(&partner_wide, &shared.company_name),
        partner_wide_before.0
    );
    let mut expected = vec![
        ("West, West too", Some(west.url.as_str())),
        ("East", Some(east.url.as_str())),
    ];
    expected.sort_by_key(|(_, url)| *url);
    for firing in &shared_fired {
        let webhooks: Vec<(&str, Option<&str>)> = firing
            .deliveries
            .iter()
            .filter(|d| d.channel == Channel::Webhook)
            .map(|d| (d.recipient.as_str(), d.webhook_url.as_deref()))
            .collect();
        assert_eq!(webhooks, expected, "one message per webhook URL");
        assert!(firing.deliveries.iter().all(|d| d.attempts == 1));
    }

    // The customer whose owner is in no team with a webhook: the partner-wide webhook.
    assert_eq!(
        cards(&partner_wide, &lone.company_name),
        partner_wide_before.1 + lone_fired.len()
    );
    assert_eq!(cards(&west, &lone.company_name), 0);
    assert_eq!(cards(&east, &lone.company_name), 0);
    for firing in &lone_fired {
        let webhooks: Vec<(&str, Option<&str>)> = firing
            .deliveries
            .iter()
            .filter(|d| d.channel == Channel::Webhook)
            .map(|d| (d.recipient.as_str(), d.webhook_url.as_deref()))
            .collect();
        assert_eq!(webhooks, [("webhook", None)]);
    }

    // The Alerts page names the teams and the webhook's host, never the URL.
    let page = app.get_html("/alerts").await;
    assert!(page.contains("Webhook of East (127.0.0.1)"), "{page}");
    assert!(page.contains("Partner-wide webhook"));
    assert!(!page.contains(&east.url) && !page.contains(&west.url));
}

#[tokio::test]
async fn teams_are_edited_by_budget_editors_with_errors_next_to_the_field_and_readers_may_not() {
    let smtp = SmtpServer::stopped();
    let receiver = WebhookReceiver::start();
    let app = spawn_with_mail(&smtp, None).await;
    let id = create_team(&app, "West", &receiver.url, &[OWNER_1]).await;
    let teams = app.store().alert_teams().await.unwrap();
    let csrf = TestApp::csrf_token(&app.get_html("/teams").await);

    // Bad input: the page again (422), the error next to the field, the input kept,
    // nothing saved.
    let refused = [
        (
            "/teams".to_owned(),
            vec![
                ("name", "North"),
                ("webhook_url", "http://teams.example/hook"),
            ],
            "new-team-url".to_owned(),
            "starting with https://",
            "http://teams.example/hook",
        ),
        (
            "/teams".to_owned(),
            vec![("name", "  "), ("webhook_url", "")],
            "new-team-name".to_owned(),
            "Enter a team name",
            "  ",
        ),
        (
            "/teams".to_owned(),
            vec![("name", "West"), ("webhook_url", "")],
            "new-team-name".to_owned(),
            "There is a team named",
            "West",
        ),
        (
            format!("/teams/{id}/webhook"),
            vec![("webhook_url", "ftp://teams.example/hook")],
            format!("team-{id}-url"),
            "starting with https://",
            "ftp://teams.example/hook",
        ),
        (
            format!("/teams/{id}/webhook"),
            vec![("webhook_url", "https://user:pw@teams.example/hook")],
            format!("team-{id}-url"),
            "starting with https://",
            "https://user:pw@teams.example/hook",
        ),
        (
            format!("/teams/{id}/members"),
            vec![("member", "not a name")],
            format!("team-{id}-member"),
            "sign-in name",
            "not a name",
        ),
        (
            format!("/teams/{id}/name"),
            vec![("name", "")],
            format!("team-{id}-name"),
            "Enter a team name",
            "",
        ),
    ];
    for (path, fields, field_id, error, kept) in refused {
        let mut form = vec![("csrf_token", csrf.as_str())];
        form.extend(fields);
        let response = app.post_form(&path, &form).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path} {form:?}"
        );
        let page = scraper::Html::parse_document(&response.text().await.unwrap());
        let next_to_field = scraper::Selector::parse(&format!("#{field_id}-error")).unwrap();
        let shown: String = page.select(&next_to_field).flat_map(|e| e.text()).collect();
        assert!(shown.contains(error), "{path}: {shown:?}");
        let field = scraper::Selector::parse(&format!("#{field_id}")).unwrap();
        let input = page.select(&field).next().expect("the field");
        assert_eq!(input.value().attr("value"), Some(kept), "the input is kept");
        assert_eq!(input.value().attr("aria-invalid"), Some("true"));
        assert_eq!(
            app.store().alert_teams().await.unwrap(),
            teams,
            "nothing saved"
        );
    }
    let missing = app.team_form(999_999, "name", &csrf, ("name", "X")).await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);

    // The page shows the webhook's host only.
    let page = app.get_html("/teams").await;
    assert!(page.contains("<strong>127.0.0.1</strong>"));
    assert!(!page.contains(&receiver.url));

    // Rename, clear the webhook, remove the member.
    let renamed = app
        .team_form(id, "name", &csrf, ("name", "West & Central"))
        .await;
    assert_is_redirect_to(&renamed, "/teams");
    let cleared = app
        .team_form(id, "webhook", &csrf, ("webhook_url", ""))
        .await;
    assert_is_redirect_to(&cleared, "/teams");
    let removed = app
        .team_form(id, "members/remove", &csrf, ("member", OWNER_1))
        .await;
    assert_is_redirect_to(&removed, "/teams");
    let teams = app.store().alert_teams().await.unwrap();
    assert_eq!(teams.len(), 1);
    assert_eq!(teams[0].name, "West & Central");
    assert_eq!(teams[0].webhook_url, None);
    assert!(teams[0].members.is_empty());

    // A reader sees the teams, without forms, and every write route refuses them.
    let reader = app.another_session(READER).await;
    let page = app.html_as(&reader, "/teams").await;
    assert!(page.contains("West &amp; Central") || page.contains("West &#38; Central"));
    assert!(!page.contains("Create team"));
    let reader_csrf = TestApp::csrf_token(&page);
    for path in [
        "/teams".to_owned(),
        format!("/teams/{id}/name"),
        format!("/teams/{id}/webhook"),
        format!("/teams/{id}/members"),
        format!("/teams/{id}/members/remove"),
    ] {
        let response = reader
            .post(app.url(&path))
            .form(&[
                ("csrf_token", reader_csrf.as_str()),
                ("name", "Readers"),
                ("webhook_url", "https://teams.example/hook"),
                ("member", READER),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}");
    }
    assert_eq!(app.store().alert_teams().await.unwrap(), teams);
}

fn nov(day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, day).unwrap()
}

fn eur(amount: &str) -> Money {
    Money::new(amount.parse().unwrap(), Currency::parse("EUR").unwrap())
}

fn new_firing(customer: CustomerId, budget: &str) -> NewFiring {
    NewFiring {
        key: FiringKey {
            customer,
            threshold: Threshold::new(ThresholdBasis::Actual, 80).unwrap(),
            billing_period_start: nov(1),
            budget: eur(budget),
        },
        customer_name: "Contoso".into(),
        spend: eur("900"),
        projected: None,
        forecast_method: None,
        deliveries: vec![NewDelivery {
            channel: Channel::Email,
            recipient: OWNER_1.into(),
            webhook_url: None,
            subject: "s".into(),
            body_text: "t".into(),
            body_html: "<p>h</p>".into(),
        }],
    }
}

on_both_databases! {
    async fn a_firing_is_recorded_once_per_key_and_a_claimed_delivery_is_nobody_elses(db: &TestDb) {
        let store = &db.store;
        let customer = CustomerId::parse("5f0c6a55-1b2e-4c8e-9f53-3d6b6b8c9a01").unwrap();
        // The same budget written with another scale is the same key.
        assert_eq!(store.record_firings(&[new_firing(customer, "1000")]).await.unwrap(), 1);
        assert_eq!(store.record_firings(&[new_firing(customer, "1000.00")]).await.unwrap(), 0);
        assert_eq!(store.record_firings(&[new_firing(customer, "1500")]).await.unwrap(), 1);
        let keys = store.firing_keys_since(nov(1)).await.unwrap();
        assert_eq!(keys.len(), 2);
        assert!(store.firing_keys_since(nov(2)).await.unwrap().is_empty());

        let lease = TimeDelta::seconds(60);
        let claimed = store.claim_deliveries("a", lease, 10).await.unwrap();
        assert_eq!(claimed.len(), 2);
        assert!(store.claim_deliveries("b", lease, 10).await.unwrap().is_empty());
        // A failure makes it due again later, not now; the attempt is recorded by its holder.
        assert!(!store.delivery_failed(claimed[0].id, "b", Utc::now(), "x").await.unwrap());
        let later = Utc::now() + TimeDelta::hours(1);
        assert!(store.delivery_failed(claimed[0].id, "a", later, "SMTP: refused").await.unwrap());
        assert!(store.delivery_sent(claimed[1].id, "a", "smtp", "250 OK").await.unwrap());
        assert!(store.claim_deliveries("b", lease, 10).await.unwrap().is_empty());
        let records = store.recent_firings(Some(&customer), 10).await.unwrap();
        let states: Vec<(i32, bool, Option<&str>)> = records
            .iter()
            .flat_map(|f| &f.deliveries)
            .map(|d| (d.attempts, d.sent_at.is_some(), d.last_error.as_deref()))
            .collect();
        assert_eq!(states, [(1, true, None), (1, false, Some("SMTP: refused"))]);

        // An expired lease is claimed by another sender.
        assert!(store.record_firings(&[new_firing(customer, "2000")]).await.unwrap() == 1);
        let first = store.claim_deliveries("a", TimeDelta::milliseconds(-1), 10).await.unwrap();
        assert_eq!(first.len(), 1);
        let again = store.claim_deliveries("b", lease, 10).await.unwrap();
        assert_eq!(again.iter().map(|d| d.id).collect::<Vec<_>>(), [first[0].id]);
        assert!(!store.delivery_sent(first[0].id, "a", "smtp", "250").await.unwrap());
    }
}

on_both_databases! {
    async fn rules_are_kept_per_scope_and_a_duplicate_is_refused(db: &TestDb) {
        let store = &db.store;
        let customer = CustomerId::parse("5f0c6a55-1b2e-4c8e-9f53-3d6b6b8c9a01").unwrap();
        let set = store.alert_rule_set().await.unwrap();
        let defaults: Vec<String> = set.partner_wide.iter().map(ToString::to_string).collect();
        assert_eq!(
            defaults,
            ["80 % of actual spend", "100 % of actual spend", "100 % of forecast spend"]
        );
        assert_eq!(set.for_customer(&customer), set.partner_wide.as_slice());

        let own = Threshold::new(ThresholdBasis::Forecast, 150).unwrap();
        assert!(store.add_alert_rule(Some(&customer), own, user_id(1)).await.unwrap());
        assert!(!store.add_alert_rule(Some(&customer), own, user_id(1)).await.unwrap());
        let set = store.alert_rule_set().await.unwrap();
        assert_eq!(set.for_customer(&customer), [own]);
        let rules = store.alert_rules(Some(&customer)).await.unwrap();
        // Removing needs the right scope.
        assert!(!store.remove_alert_rule(None, rules[0].id).await.unwrap());
        assert!(store.remove_alert_rule(Some(&customer), rules[0].id).await.unwrap());
        assert!(store.alert_rules(Some(&customer)).await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn the_digest_of_a_known_day_lists_an_owners_customers_movers_and_alerts_once() {
    let smtp = SmtpServer::started().await;
    let app = spawn_with_mail(&smtp, None).await;
    next_day(&app).await;
    next_day(&app).await; // 5 November, with 3 and 4 November recorded
    let all = snapshots(&app).await;
    let over = all
        .iter()
        .find(|s| s.status == UsageStatus::OverBudget && s.total_cost.amount() > Decimal::ZERO)
        .expect("a customer over budget")
        .clone();
    let without = all
        .iter()
        .find(|s| s.budget.is_none() && s.total_cost.amount() > Decimal::ZERO)
        .expect("a spending customer without a budget")
        .clone();
    let owner = SignInName::parse(OWNER_1).unwrap();
    app.store()
        .assign_owner(&[over.customer_id, without.customer_id], &owner, user_id(1))
        .await
        .unwrap();
    // The other owner turned the digest off.
    let quiet = SignInName::parse(OWNER_2).unwrap();
    app.store()
        .assign_owner(&[over.customer_id], &quiet, user_id(1))
        .await
        .unwrap();
    let off = DigestPreferences {
        enabled: false,
        ..DigestPreferences::defaults(7)
    };
    app.store()
        .save_digest_preferences(&quiet, &off)
        .await
        .unwrap();

    let digests = Digests::new(
        app.store().clone(),
        &app.state.settings.alerts,
        app.state.public_url.clone(),
    );
    let at = Utc.with_ymd_and_hms(2026, 11, 5, 8, 0, 0).unwrap();
    assert_eq!(digests.send_due(at).await.unwrap(), 1);
    assert_eq!(digests.send_due(at).await.unwrap(), 0, "once a day");
    let digest = eventually(30, "the digest arrives", || async {
        smtp.messages().into_iter().find(|m| {
            m["subject"]
                .as_str()
                .is_some_and(|s| s.starts_with("Spendboard daily digest"))
        })
    })
    .await;
    assert_eq!(digest["to"], json!([OWNER_1]));
    assert_eq!(
        digest["subject"],
        "Spendboard daily digest, 5 November 2026: 1 over budget"
    );
    let text = digest["text"].as_str().unwrap().replace("\r\n", "\n");
    assert!(
        text.contains(&format!(
            "Over budget:\n- {}: {} of {}",
            over.company_name,
            over.total_cost,
            over.budget.as_ref().unwrap()
        )),
        "{text}"
    );
    assert!(!text.contains(&format!(
        "- {}: {} of no budget",
        without.company_name, without.total_cost
    )));
    // The movers, from the history of 4 and 5 November.
    for s in [&over, &without] {
        let before = app
            .store()
            .daily_usage(&s.customer_id, nov(4), nov(4))
            .await
            .unwrap()[0]
            .total_cost
            .clone();
        let line = format!(
            "- {}: +{} (from {before} to {})",
            s.company_name,
            s.total_cost.checked_sub(&before).unwrap(),
            s.total_cost
        );
        assert!(text.contains(&line), "{line} in {text}");
    }
    assert!(text.contains("Largest increase of % used since the day before:\n- "));
    // The alerts of the owner's customers fired in the last day.
    assert!(text.contains("Alerts fired in the last day:"));
    assert!(
        text.contains(&format!("- {}: 80 % of actual spend", over.company_name)),
        "{text}"
    );
    let link = format!("{}/customers/{}", app.address, over.customer_id);
    assert!(digest["html"].as_str().unwrap().contains(&link));
    // The next day's digest is due at the hour, not before.
    let early = Utc.with_ymd_and_hms(2026, 11, 6, 6, 59, 0).unwrap();
    assert_eq!(digests.send_due(early).await.unwrap(), 0);
}

#[tokio::test]
async fn preferences_are_saved_per_person_and_a_bad_hour_is_refused_next_to_the_field() {
    let app = spawn_app_with(SandboxOptions::default(), |_| {}).await;
    app.sign_in_and_load(EDITOR).await;
    let page = app.get_html("/preferences").await;
    assert!(page.contains(EDITOR), "the digest goes to the sign-in name");
    assert!(
        page.contains("<option value=\"7\" selected>07:00</option>"),
        "{page}"
    );
    let csrf = TestApp::csrf_token(&page);
    let bad = app
        .post_form(
            "/preferences",
            &[("csrf_token", &csrf), ("enabled", "1"), ("hour", "24")],
        )
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.text()
            .await
            .unwrap()
            .contains("Choose an hour from 00:00 to 23:00 (UTC).")
    );
    let editor = SignInName::parse(EDITOR).unwrap();
    assert_eq!(app.store().digest_preferences(&editor).await.unwrap(), None);
    let saved = app
        .post_form(
            "/preferences",
            &[("csrf_token", &csrf), ("hour", "9"), ("status_over", "1")],
        )
        .await;
    assert_is_redirect_to(&saved, "/preferences");
    assert_eq!(
        app.store().digest_preferences(&editor).await.unwrap(),
        Some(DigestPreferences {
            enabled: false,
            hour_utc: 9,
            statuses: vec![UsageStatus::OverBudget],
        })
    );
    let page = app.get_html("/preferences").await;
    assert!(page.contains("<option value=\"9\" selected>09:00</option>"));
}

on_both_databases! {
    async fn team_names_are_unique_and_members_and_webhooks_are_kept_per_team(db: &TestDb) {
        let (store, by) = (&db.store, user_id(1));
        let west = store.create_alert_team("West", Some("https://a.example/1"), by)
            .await.unwrap().expect("created");
        let east = store.create_alert_team("East", None, by).await.unwrap().expect("created");
        assert_eq!(store.create_alert_team("West", None, by).await.unwrap(), None);
        // A rename onto another team's name is refused by the unique key.
        assert!(!store.rename_alert_team(east, "West").await.unwrap());
        assert!(store.rename_alert_team(east, "East & North").await.unwrap());
        let adele = SignInName::parse(OWNER_1).unwrap();
        assert!(store.add_alert_team_member(west, &adele).await.unwrap());
        assert!(!store.add_alert_team_member(west, &adele).await.unwrap());
        assert!(store.add_alert_team_member(east, &adele).await.unwrap());
        assert!(store.remove_alert_team_member(east, &adele).await.unwrap());
        store.set_alert_team_webhook(west, None).await.unwrap();
        store.set_alert_team_webhook(east, Some("https://b.example/2")).await.unwrap();
        let teams: Vec<(String, Option<String>, usize)> = store
            .alert_teams()
            .await
            .unwrap()
            .into_iter()
            .map(|t| (t.name, t.webhook_url, t.members.len()))
            .collect();
        assert_eq!(
            teams,
            [
                ("East & North".to_owned(), Some("https://b.example/2".to_owned()), 0),
                ("West".to_owned(), None, 1),
            ]
        );
    }
}
