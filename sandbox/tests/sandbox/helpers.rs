//! The sandbox under test: started in-process on 127.0.0.1 port 0, with a reqwest client,
//! a delegated (App+User) token from a real authorize + PKCE + token exchange and an
//! app-only (client credentials) token.

use std::net::TcpListener;
use std::str::FromStr;

use aws_lc_rs::digest::{SHA256, digest};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use partner_center_sandbox::{RunningSandbox, SandboxOptions};
use reqwest::{Method, Response, StatusCode};
use rust_decimal::Decimal;
use serde_json::Value;

/// The demo redirect URI registered by default.
pub const REDIRECT_URI: &str = "http://127.0.0.1:8080/auth/callback";
/// A demo user of the partner tenant with the budget-editor role.
pub const ADELE: &str = "adele@northwindcsp.onmicrosoft.com";
/// The demo user of another tenant.
pub const PAT: &str = "pat@fabrikamtraders.onmicrosoft.com";
const SCOPE: &str =
    "openid profile offline_access https://api.partnercenter.microsoft.com/user_impersonation";

/// A running sandbox and what tests need to talk to it.
pub struct TestSandbox {
    pub sandbox: RunningSandbox,
    /// Base URL without trailing slash.
    pub base: String,
    pub http: reqwest::Client,
    /// A delegated (App+User) access token of Adele.
    pub delegated: String,
    /// An app-only access token of the demo application.
    pub app_only: String,
}

/// A sandbox with the default options (seed 42, 60 customers).
pub async fn spawn_sandbox() -> TestSandbox {
    spawn_sandbox_with(SandboxOptions::default()).await
}

/// A sandbox with the given options.
pub async fn spawn_sandbox_with(options: SandboxOptions) -> TestSandbox {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    let sandbox = partner_center_sandbox::start(listener, options)
        .await
        .expect("start the sandbox");
    let base = sandbox.base_url.as_str().trim_end_matches('/').to_string();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("http client");
    let mut test = TestSandbox {
        sandbox,
        base,
        http,
        delegated: String::new(),
        app_only: String::new(),
    };
    test.delegated = test.user_token(ADELE).await;
    test.app_only = test.app_only_token().await;
    test
}

impl TestSandbox {
    /// An absolute URL for a path.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn token_url(&self) -> String {
        format!("{}oauth2/v2.0/token", self.tenant_base())
    }

    fn tenant_base(&self) -> String {
        format!("{}/{}/", self.base, self.sandbox.tenant_id)
    }

    /// Signs a demo user in (authorize POST with PKCE S256) and redeems the code: returns the
    /// delegated Partner Center access token.
    pub async fn user_token(&self, login: &str) -> String {
        let verifier = URL_SAFE_NO_PAD.encode(uuid::Uuid::new_v4().as_bytes().repeat(2));
        let challenge = URL_SAFE_NO_PAD.encode(digest(&SHA256, verifier.as_bytes()).as_ref());
        let authorize = self
            .http
            .post(format!("{}oauth2/v2.0/authorize", self.tenant_base()))
            .form(&[
                ("client_id", self.sandbox.client_id.as_str()),
                ("redirect_uri", REDIRECT_URI),
                ("response_type", "code"),
                ("scope", SCOPE),
                ("state", "test-state"),
                ("nonce", "test-nonce"),
                ("code_challenge", &challenge),
                ("code_challenge_method", "S256"),
                ("login", login),
            ])
            .send()
            .await
            .expect("authorize");
        assert_eq!(
            authorize.status(),
            StatusCode::FOUND,
            "authorize answers a redirect"
        );
        let location = authorize.headers()["location"]
            .to_str()
            .expect("location")
            .to_string();
        let location = url::Url::parse(&location).expect("redirect URL");
        let code = location
            .query_pairs()
            .find(|(k, _)| k == "code")
            .map(|(_, v)| v.into_owned())
            .expect("code in the redirect");
        self.redeem(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT_URI),
            ("client_id", &self.sandbox.client_id),
            ("client_secret", &self.sandbox.client_secret),
            ("code_verifier", &verifier),
        ])
        .await
    }

    /// A client-credentials (app-only) Partner Center token.
    pub async fn app_only_token(&self) -> String {
        self.redeem(&[
            ("grant_type", "client_credentials"),
            ("client_id", &self.sandbox.client_id),
            ("client_secret", &self.sandbox.client_secret),
            ("scope", "https://api.partnercenter.microsoft.com/.default"),
        ])
        .await
    }

    async fn redeem(&self, form: &[(&str, &str)]) -> String {
        let response = self
            .http
            .post(self.token_url())
            .form(form)
            .send()
            .await
            .expect("token");
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "token endpoint answers 200"
        );
        let body: Value = response.json().await.expect("token JSON");
        body["access_token"]
            .as_str()
            .expect("access_token")
            .to_string()
    }

    /// A request with a bearer token (none when `token` is `None`).
    pub fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
    ) -> reqwest::RequestBuilder {
        let builder = self.http.request(method, self.url(path));
        match token {
            Some(token) => builder.bearer_auth(token),
            None => builder,
        }
    }

    /// GET with the delegated token.
    pub async fn get(&self, path: &str) -> Response {
        self.request(Method::GET, path, Some(&self.delegated))
            .send()
            .await
            .expect("GET")
    }

    /// GET with the delegated token, asserting 200; the JSON with every number turned into a
    /// string holding its exact digits (read them with [`dec`]).
    pub async fn get_exact(&self, path: &str) -> Value {
        let response = self.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        exact_json(&response.text().await.expect("body"))
    }

    /// `GET /v1/customers/{customer}/usagebudget`, numbers kept exact.
    pub async fn usage_budget(&self, customer: &str) -> Value {
        self.get_exact(&format!("/v1/customers/{customer}/usagebudget"))
            .await
    }

    /// PATCH the usage budget of a customer with a raw JSON body (delegated token).
    pub async fn patch_budget(&self, customer: &str, body: &str) -> Response {
        self.request(
            Method::PATCH,
            &format!("/v1/customers/{customer}/usagebudget"),
            Some(&self.delegated),
        )
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("PATCH")
    }

    /// A control API call with an optional JSON body; returns status and JSON (Null if none).
    pub async fn control(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        // The control API takes JSON only, also for calls without a body.
        let mut builder = self
            .http
            .request(method, self.url(path))
            .header("content-type", "application/json");
        if let Some(body) = body {
            builder = builder.json(&body);
        }
        let response = builder.send().await.expect("control call");
        let status = response.status();
        let text = response.text().await.expect("control body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Every customer of the all-customers usage records (exact numbers).
    pub async fn usage_records(&self) -> Vec<Value> {
        let records = self.get_exact("/v1/customers/usagerecords").await;
        records["items"].as_array().expect("items").clone()
    }

    /// Stops the sandbox.
    pub async fn stop(self) {
        self.sandbox.stop().await;
    }
}

/// Parses JSON, turning every number literal into a string with its exact digits.
pub fn exact_json(text: &str) -> Value {
    let mut out = String::with_capacity(text.len() + 64);
    let mut chars = text.chars().peekable();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            if c == '\\' {
                if let Some(next) = chars.next() {
                    out.push(next);
                }
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if c == '-' || c.is_ascii_digit() {
            out.push('"');
            out.push(c);
            while let Some(&next) = chars.peek() {
                if next.is_ascii_digit() || matches!(next, '.' | 'e' | 'E' | '+' | '-') {
                    out.push(next);
                    chars.next();
                } else {
                    break;
                }
            }
            out.push('"');
        } else {
            out.push(c);
        }
    }
    serde_json::from_str(&out).expect("valid JSON")
}

/// The exact decimal of a number turned into a string by [`exact_json`].
pub fn dec(value: &Value) -> Decimal {
    Decimal::from_str(
        value
            .as_str()
            .unwrap_or_else(|| panic!("not a number: {value}")),
    )
    .expect("decimal")
}

/// The key set of a JSON object.
pub fn keys(value: &Value) -> Vec<String> {
    let mut keys: Vec<String> = value.as_object().expect("object").keys().cloned().collect();
    keys.sort();
    keys
}

/// Asserts that `actual` has every key of `documented`, recursively into objects and into the
/// first element of arrays, and no key the documentation does not know, apart from
/// `optional` ones.
pub fn assert_same_shape(documented: &Value, actual: &Value, optional: &[&str], at: &str) {
    match (documented, actual) {
        (Value::Object(doc), Value::Object(act)) => {
            for key in doc.keys() {
                if optional.contains(&key.as_str()) {
                    continue;
                }
                assert!(
                    act.contains_key(key),
                    "{at}: missing key {key:?}; got {:?}",
                    keys(actual)
                );
            }
            for (key, value) in act {
                match doc.get(key) {
                    Some(doc_value) => {
                        assert_same_shape(doc_value, value, optional, &format!("{at}.{key}"))
                    }
                    None => assert!(
                        optional.contains(&key.as_str()),
                        "{at}: undocumented key {key:?}"
                    ),
                }
            }
        }
        (Value::Array(doc), Value::Array(act)) => {
            if let (Some(d), Some(a)) = (doc.first(), act.first()) {
                assert_same_shape(d, a, optional, &format!("{at}[0]"));
            }
        }
        (Value::Object(_), other) | (other, Value::Object(_)) if !other.is_null() => {
            panic!("{at}: object expected on both sides, got {documented} vs {actual}")
        }
        _ => {}
    }
}

/// The first customer (in the usage records) matching a predicate.
pub fn find<'a>(records: &'a [Value], what: &str, predicate: impl Fn(&Value) -> bool) -> &'a Value {
    records
        .iter()
        .find(|r| predicate(r))
        .unwrap_or_else(|| panic!("no customer that is {what}"))
}
