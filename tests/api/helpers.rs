//! `spawn_app()`: the real Spendboard on port 0 against a real sandbox on port 0 and a fresh
//! real database (SQLite by default; PostgreSQL with `SPENDBOARD_TEST_DATABASE=postgres`),
//! and a cookie-keeping HTTP client with redirects off, with one method per page or form.

use std::net::TcpListener;
use std::time::Duration;

use partner_center_sandbox::{RunningSandbox, SandboxOptions};
use reqwest::StatusCode;
use reqwest::header::LOCATION;
use secrecy::SecretString;
use serde_json::Value;
use spendboard::config::{IdentitySettings, Settings};
use spendboard::domain::{CustomerId, SubscriptionId, UserId};
use spendboard::startup::Application;
use spendboard::state::AppState;
use spendboard::store::{LeaseScope, Store};
use url::Url;

use crate::databases::TestDb;
use spendboard::store::DatabaseKind;

/// The demo users of the sandbox.
pub const EDITOR: &str = "adele@northwindcsp.onmicrosoft.com";
pub const READER: &str = "megan@northwindcsp.onmicrosoft.com";
pub const NO_ROLE: &str = "lee@northwindcsp.onmicrosoft.com";
pub const OTHER_TENANT: &str = "pat@fabrikamtraders.onmicrosoft.com";

/// A user id for tests that call the store directly: a GUID made of `n`.
pub fn user_id(n: u128) -> UserId {
    UserId::from(uuid::Uuid::from_u128(
        0x05e7_0000_0000_4000_8000_0000_0000_0000 + n,
    ))
}

/// A running Spendboard with its sandbox.
pub struct TestApp {
    /// `http://localhost:{port}`.
    pub address: String,
    pub client: reqwest::Client,
    pub sandbox: RunningSandbox,
    pub state: actix_web::web::Data<AppState>,
}

/// How long the test clients keep an idle connection: less than the server's keep-alive (5
/// s, actix-web's default), so a request never goes out on a connection the server is closing
/// at that moment (hyper's `IncompleteMessage`, seen once in CI after a test waited for mail).
const IDLE_CONNECTION: Duration = Duration::from_secs(2);

/// An HTTP client that keeps cookies, as a browser does, and does not follow redirects.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .pool_idle_timeout(IDLE_CONNECTION)
        .build()
        .expect("a client")
}

/// An HTTP client without cookies that does not follow redirects.
pub fn plain_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_idle_timeout(IDLE_CONNECTION)
        .build()
        .expect("a client")
}

/// Which database the app tests run on.
pub fn database_kind() -> DatabaseKind {
    match std::env::var("SPENDBOARD_TEST_DATABASE").as_deref() {
        Ok("postgres") => DatabaseKind::Postgres,
        _ => DatabaseKind::Sqlite,
    }
}

/// The URL of a fresh, empty database of `kind` (left behind for inspection after the test).
pub async fn fresh_database_url(kind: DatabaseKind) -> String {
    let db = match kind {
        DatabaseKind::Sqlite => TestDb::sqlite().await,
        DatabaseKind::Postgres => TestDb::postgres().await,
    };
    db.store.close().await;
    db.url.clone()
}

/// Spawns the app with 60 sandbox customers.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(SandboxOptions::default(), |_| {}).await
}

/// Spawns the app with these sandbox options, after `tweak` adjusts the settings.
pub async fn spawn_app_with(
    mut options: SandboxOptions,
    tweak: impl FnOnce(&mut Settings),
) -> TestApp {
    show_logs_of_failing_tests();
    let app_listener = TcpListener::bind("127.0.0.1:0").expect("a free port for the app");
    let port = app_listener.local_addr().expect("local address").port();
    options.redirect_uris = vec![format!("http://localhost:{port}/auth/callback")];
    if options.control_token.is_none() {
        options.control_token = Some(uuid::Uuid::new_v4().to_string());
    }
    let sandbox = partner_center_sandbox::start(
        TcpListener::bind("127.0.0.1:0").expect("a free port"),
        options,
    )
    .await
    .expect("the sandbox starts");

    let mut settings = Settings::default();
    settings.server.port = port;
    settings.database.url = SecretString::from(fresh_database_url(database_kind()).await);
    settings.identity = Some(IdentitySettings {
        authority: sandbox.issuer(),
        tenant_id: Some(sandbox.tenant_id),
        client_id: sandbox.client_id.clone(),
        client_secret: SecretString::from(sandbox.client_secret.clone()),
    });
    settings.partner_center.base_url = sandbox.base_url.clone();
    settings.partner_center.max_retry_after_seconds = 2;
    settings.security.secret_key = Some(SecretString::from(
        "c3BlbmRib2FyZC10ZXN0LWtleS1ub3QtYS1zZWNyZXQtMDEyMzQ1Njc4OWFiY2RlZg==",
    ));
    tweak(&mut settings);
    settings.validate().expect("valid test settings");

    let app = Application::build_on(app_listener, settings)
        .await
        .expect("the app builds");
    let state = app.state();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address: format!("http://localhost:{port}"),
        client: browser(),
        sandbox,
        state,
    }
}

/// Sends the app's and the sandbox's logs (`RUST_LOG`; warnings and errors by default) to the
/// test harness, which prints them with the output of a test that fails and drops them for
/// one that passes. It keeps each test's output apart, threads the test starts (the servers'
/// workers) included. Also keeps every log line of this test binary at `info` for the tests
/// that read the logs ([`captured_logs`]).
fn show_logs_of_failing_tests() {
    let _ = log_buffer();
}

/// Every log line of this test binary (at `info`, without sqlx's and actix-server's), since
/// the first app started or the first call.
pub fn captured_logs() -> String {
    String::from_utf8_lossy(&log_buffer().lock().unwrap()).into_owned()
}

fn log_buffer() -> &'static std::sync::Mutex<Vec<u8>> {
    use std::sync::{Mutex, OnceLock};
    use tracing_subscriber::{EnvFilter, Layer as _, fmt, layer::SubscriberExt as _};
    static LOGS: OnceLock<&'static Mutex<Vec<u8>>> = OnceLock::new();
    struct Writer(&'static Mutex<Vec<u8>>);
    impl std::io::Write for Writer {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    LOGS.get_or_init(|| {
        let logs: &'static Mutex<Vec<u8>> = Box::leak(Box::new(Mutex::new(Vec::new())));
        let shown = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn"));
        let subscriber = tracing_subscriber::registry()
            .with(
                fmt::layer()
                    .with_test_writer()
                    .with_ansi(false)
                    .with_filter(shown),
            )
            .with(
                fmt::layer()
                    .with_ansi(false)
                    .with_writer(move || Writer(logs))
                    .with_filter(EnvFilter::new("info,sqlx=warn,actix_server=warn")),
            );
        let _ = tracing::subscriber::set_global_default(subscriber);
        logs
    })
}

/// Polls `check` every 100 ms until it gives `Some`, for at most `seconds`.
pub async fn eventually<T, F, Fut>(seconds: u64, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(seconds);
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what}: not within {seconds} s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Asserts a 303 (or 302) to `location`.
pub fn assert_is_redirect_to(response: &reqwest::Response, location: &str) {
    assert!(
        response.status() == StatusCode::SEE_OTHER || response.status() == StatusCode::FOUND,
        "expected a redirect, got {}",
        response.status()
    );
    assert_eq!(response.headers()[LOCATION].to_str().unwrap(), location);
}

fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(LOCATION)
        .unwrap_or_else(|| panic!("no Location on a {} response", response.status()))
        .to_str()
        .unwrap()
        .to_owned()
}

impl TestApp {
    pub fn store(&self) -> &Store {
        &self.state.store
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    /// The HTML of `path` as another browser (`client`) sees it.
    pub async fn html_as(&self, client: &reqwest::Client, path: &str) -> String {
        let response = client.get(self.url(path)).send().await.expect("GET");
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        response.text().await.unwrap()
    }

    pub async fn get_html(&self, path: &str) -> String {
        let response = self.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        response.text().await.unwrap()
    }

    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .form(form)
            .send()
            .await
            .expect("POST")
    }

    /// The dashboard's HTML with `query` (`sort=name&page=2`; empty for the defaults).
    pub async fn dashboard(&self, query: &str) -> String {
        if query.is_empty() {
            self.get_html("/").await
        } else {
            self.get_html(&format!("/?{query}")).await
        }
    }

    /// The HTML of a customer's page (`/customers/{id}`).
    pub async fn customer_page(&self, customer: &CustomerId) -> String {
        self.get_html(&format!("/customers/{customer}")).await
    }

    /// The HTML of a subscription's page (`/customers/{id}/subscriptions/{sid}`).
    pub async fn subscription_page(
        &self,
        customer: &CustomerId,
        subscription: &SubscriptionId,
    ) -> String {
        self.get_html(&format!(
            "/customers/{customer}/subscriptions/{subscription}"
        ))
        .await
    }

    /// Submits the budget form of the customer page at `customer_path` (`/customers/{id}`):
    /// the new `amount` (as typed), with the form's `csrf_token` and `based_on` and, when
    /// given, a `reason`.
    pub async fn change_budget(
        &self,
        customer_path: &str,
        csrf_token: &str,
        based_on: &str,
        amount: &str,
        reason: Option<&str>,
    ) -> reqwest::Response {
        let mut form = vec![
            ("csrf_token", csrf_token),
            ("based_on", based_on),
            ("amount", amount),
        ];
        form.extend(reason.map(|reason| ("reason", reason)));
        self.post_form(&format!("{customer_path}/budget"), &form)
            .await
    }

    /// Submits the budget form of the customer page at `customer_path` with "Remove the
    /// budget".
    pub async fn remove_budget(
        &self,
        customer_path: &str,
        csrf_token: &str,
        based_on: &str,
    ) -> reqwest::Response {
        self.post_form(
            &format!("{customer_path}/budget"),
            &[
                ("csrf_token", csrf_token),
                ("based_on", based_on),
                ("amount", ""),
                ("remove", "1"),
            ],
        )
        .await
    }

    /// Submits one of the customer page's owner forms: `POST {customer_path}/{action}` with
    /// `action` `owners` (add `owner`) or `owners/remove` (remove `owner`).
    pub async fn owner_form(
        &self,
        customer_path: &str,
        action: &str,
        csrf_token: &str,
        owner: &str,
    ) -> reqwest::Response {
        self.post_form(
            &format!("{customer_path}/{action}"),
            &[("csrf_token", csrf_token), ("owner", owner)],
        )
        .await
    }

    /// Submits one of a team's forms on the teams page: `POST /teams/{team}/{action}`
    /// (`name`, `webhook`, `members`, `members/remove`) with the CSRF token and its one
    /// `field`.
    pub async fn team_form(
        &self,
        team: i64,
        action: &str,
        csrf_token: &str,
        field: (&str, &str),
    ) -> reqwest::Response {
        self.post_form(
            &format!("/teams/{team}/{action}"),
            &[("csrf_token", csrf_token), field],
        )
        .await
    }

    /// Runs the sign-in until the identity provider's redirect back to us, and returns the
    /// callback URL (code and state).
    pub async fn authorize_as(&self, login: &str) -> String {
        self.authorize_with(&self.client, login).await
    }

    /// Another browser: a new cookie-keeping client signed in as `login`.
    pub async fn another_session(&self, login: &str) -> reqwest::Client {
        let client = browser();
        let callback = self.authorize_with(&client, login).await;
        let response = client.get(callback).send().await.expect("callback");
        assert_is_redirect_to(&response, "/");
        client
    }

    async fn authorize_with(&self, client: &reqwest::Client, login: &str) -> String {
        let start = client
            .get(self.url("/auth/start"))
            .send()
            .await
            .expect("GET /auth/start");
        let authorize = Url::parse(&location(&start)).expect("an authorize URL");
        let mut form: Vec<(String, String)> = authorize.query_pairs().into_owned().collect();
        form.push(("login".into(), login.into()));
        let sandbox = plain_client();
        let mut post_url = authorize.clone();
        post_url.set_query(None);
        let response = sandbox
            .post(post_url)
            .form(&form)
            .send()
            .await
            .expect("sign-in POST");
        assert_eq!(
            response.status(),
            StatusCode::FOUND,
            "the sandbox redirects back"
        );
        location(&response)
    }

    /// Signs in as a demo user; returns the callback's response.
    pub async fn sign_in_as(&self, login: &str) -> reqwest::Response {
        let callback = self.authorize_as(login).await;
        self.client.get(callback).send().await.expect("callback")
    }

    /// Signs in and waits for the first refresh to fill the store.
    pub async fn sign_in_and_load(&self, login: &str) {
        let response = self.sign_in_as(login).await;
        assert_is_redirect_to(&response, "/");
        let dashboard = self.get("/").await;
        if dashboard.status() == StatusCode::SEE_OTHER {
            assert_is_redirect_to(&dashboard, "/refresh");
        }
        self.wait_for_refresh().await;
    }

    /// The latest run of the partner-wide refresh (there must be one).
    pub async fn latest_run(&self) -> spendboard::store::RefreshRun {
        self.store()
            .latest_run(LeaseScope::Partner)
            .await
            .unwrap()
            .expect("a partner-wide refresh has run")
    }

    /// Waits until no refresh runs (at most 30 s).
    pub async fn wait_for_refresh(&self) {
        eventually(30, "the refresh finished", || async {
            let run = self.store().latest_run(LeaseScope::Partner).await.unwrap();
            run.is_some_and(|r| r.state != spendboard::store::RunState::Running)
                .then_some(())
        })
        .await;
    }

    /// The CSRF token of a page's first form.
    pub fn csrf_token(html: &str) -> String {
        let doc = scraper::Html::parse_document(html);
        let selector = scraper::Selector::parse("input[name=csrf_token]").unwrap();
        doc.select(&selector)
            .next()
            .and_then(|e| e.value().attr("value"))
            .expect("a csrf_token field")
            .to_owned()
    }

    /// A control call to the sandbox (`/_sandbox/...`).
    pub async fn sandbox_control(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Value {
        sandbox_control(&self.sandbox, method, path, body).await
    }

    /// Partner Center as the sandbox serves it, with a delegated token of the editor.
    pub async fn sandbox_get(&self, path: &str) -> Value {
        let token = sandbox_delegated_token(&self.sandbox, EDITOR).await;
        let response = reqwest::Client::new()
            .get(self.sandbox.base_url.join(path).unwrap())
            .bearer_auth(token)
            .send()
            .await
            .expect("sandbox GET");
        assert_eq!(response.status(), StatusCode::OK, "sandbox GET {path}");
        response.json().await.unwrap()
    }
}

/// A control call to a sandbox (`path` like `_sandbox/faults`); asserts success and returns
/// the JSON answer (`null` for an empty one).
pub async fn sandbox_control(
    sandbox: &RunningSandbox,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> Value {
    // The control API takes JSON only, also for calls without a body.
    let mut request = reqwest::Client::new()
        .request(method, sandbox.base_url.join(path).unwrap())
        .header(reqwest::header::CONTENT_TYPE, "application/json");
    if let Some(token) = &sandbox.control_token {
        request = request.header("x-sandbox-control-token", token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("sandbox control");
    assert!(
        response.status().is_success(),
        "sandbox control {path}: {}",
        response.status()
    );
    let text = response.text().await.expect("control body");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// A delegated (App+User) Partner Center token for `login`, by the sandbox's
/// authorization-code flow with PKCE.
pub async fn sandbox_delegated_token(sandbox: &RunningSandbox, login: &str) -> String {
    use base64::Engine as _;
    let verifier = format!("verifier-{}-{}", uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(
        aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes()),
    );
    let redirect_uri = sandbox_redirect_uri(sandbox).await;
    let authorize = sandbox
        .base_url
        .join(&format!("{}/oauth2/v2.0/authorize", sandbox.tenant_id))
        .unwrap();
    let client = plain_client();
    let response = client
        .post(authorize)
        .form(&[
            ("client_id", sandbox.client_id.as_str()),
            ("redirect_uri", redirect_uri.as_str()),
            ("response_type", "code"),
            (
                "scope",
                "openid offline_access https://api.partnercenter.microsoft.com/user_impersonation",
            ),
            ("state", "s"),
            ("nonce", "n"),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
            ("login", login),
        ])
        .send()
        .await
        .unwrap();
    let callback = Url::parse(&location(&response)).unwrap();
    let code = callback
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .expect("a code");
    let token: Value = client
        .post(
            sandbox
                .base_url
                .join(&format!("{}/oauth2/v2.0/token", sandbox.tenant_id))
                .unwrap(),
        )
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", redirect_uri.as_str()),
            ("code_verifier", verifier.as_str()),
            ("client_id", sandbox.client_id.as_str()),
            ("client_secret", sandbox.client_secret.as_str()),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    token["access_token"]
        .as_str()
        .expect("an access token")
        .to_owned()
}

/// Registers (once per call; idempotent) a redirect URI for tests that talk to the sandbox
/// directly.
async fn sandbox_redirect_uri(sandbox: &RunningSandbox) -> String {
    let uri = "http://localhost:1/test-callback".to_owned();
    sandbox_control(
        sandbox,
        reqwest::Method::POST,
        "_sandbox/identity/redirect-uris",
        Some(serde_json::json!({ "uri": uri })),
    )
    .await;
    uri
}

/// `s` encoded for a URL's query.
pub fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// A count of the dashboard's summary (`Customers`, `Over budget`...), by its label.
pub fn dashboard_count(html: &str, label: &str) -> u64 {
    let doc = scraper::Html::parse_document(html);
    let item = scraper::Selector::parse(".counts > div").unwrap();
    let dt = scraper::Selector::parse("dt").unwrap();
    let dd = scraper::Selector::parse("dd").unwrap();
    doc.select(&item)
        .find(|i| {
            i.select(&dt)
                .next()
                .is_some_and(|d| d.text().collect::<String>().starts_with(label))
        })
        .and_then(|i| i.select(&dd).next())
        .and_then(|d| {
            d.text()
                .collect::<String>()
                .split_whitespace()
                .next()?
                .parse()
                .ok()
        })
        .unwrap_or_else(|| panic!("no count {label}"))
}
