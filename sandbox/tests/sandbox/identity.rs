//! Tests of the emulated Entra ID endpoints, over real HTTP.

use std::collections::HashMap;

use aws_lc_rs::digest::{SHA256, digest};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use partner_center_sandbox::identity::PARTNER_CENTER_AUDIENCE;
use reqwest::StatusCode;
use reqwest::header::LOCATION;
use serde_json::Value;
use url::Url;

use crate::helpers::{TestSandbox, spawn_sandbox};

const PARTNER_TENANT: &str = "6f1c2a3b-4d5e-4f60-8a71-92b3c4d5e6f7";
const OTHER_TENANT: &str = "0b9e8d7c-6a5f-4e3d-8c2b-1a0f9e8d7c6b";
const CLIENT_ID: &str = "3c9d5e7f-1a2b-4c3d-9e8f-7a6b5c4d3e2f";
const CLIENT_SECRET: &str = "sandbox-demo-secret";
const REDIRECT_URI: &str = "http://localhost:8080/auth/callback";
const SIGN_IN_SCOPE: &str =
    "openid profile offline_access https://api.partnercenter.microsoft.com/user_impersonation";
const ADELE: &str = "adele@northwindcsp.onmicrosoft.com";
const LEE: &str = "lee@northwindcsp.onmicrosoft.com";
const PAT: &str = "pat@fabrikamtraders.onmicrosoft.com";
/// A Partner Center route that accepts app-only and delegated tokens.
const ANY_CALLER_ROUTE: &str = "/v1/customers";
/// A Partner Center route that accepts only delegated (App+User) tokens.
const DELEGATED_ROUTE: &str = "/v1/usagesummary";

/// The whole sandbox, with `REDIRECT_URI` registered through the identity control API and
/// a client that never follows redirects.
struct TestIdentity {
    base_url: String,
    http: reqwest::Client,
    sandbox: TestSandbox,
}

/// One sign-in's PKCE verifier, nonce and state, and the code it obtained.
struct SignIn {
    code: String,
    verifier: String,
    nonce: String,
}

async fn spawn_identity() -> TestIdentity {
    let sandbox = spawn_sandbox().await;
    let app = TestIdentity {
        base_url: sandbox.base.clone(),
        http: sandbox.http.clone(),
        sandbox,
    };
    let (status, _) = app
        .control_json(
            reqwest::Method::POST,
            "redirect-uris",
            serde_json::json!({ "uri": REDIRECT_URI }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    app
}

/// A fresh PKCE verifier and its S256 challenge.
fn pkce_pair() -> (String, String) {
    let verifier = format!("verifier-{}-{}", uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
    let challenge = URL_SAFE_NO_PAD.encode(digest(&SHA256, verifier.as_bytes()));
    (verifier, challenge)
}

/// Authorize parameters as Spendboard sends them, with `overrides` replacing (or, with an
/// empty value, removing) single parameters.
fn authorize_params(
    challenge: &str,
    nonce: &str,
    overrides: &[(&str, &str)],
) -> Vec<(String, String)> {
    let defaults = [
        ("client_id", CLIENT_ID),
        ("response_type", "code"),
        ("redirect_uri", REDIRECT_URI),
        ("scope", SIGN_IN_SCOPE),
        ("state", "state-123"),
        ("nonce", nonce),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
    ];
    let mut params: Vec<(String, String)> = defaults
        .iter()
        .map(|(name, value)| {
            let value = overrides
                .iter()
                .find(|(key, _)| key == name)
                .map_or(*value, |(_, value)| *value);
            (name.to_string(), value.to_string())
        })
        .filter(|(_, value)| !value.is_empty())
        .collect();
    for (name, value) in overrides {
        if !defaults.iter().any(|(key, _)| key == name) {
            params.push((name.to_string(), value.to_string()));
        }
    }
    params
}

/// The query parameters of a redirect's `Location`.
fn redirect_query(response: &reqwest::Response) -> (Url, HashMap<String, String>) {
    let location = response
        .headers()
        .get(LOCATION)
        .expect("a Location header")
        .to_str()
        .expect("an ASCII Location");
    let url = Url::parse(location).expect("an absolute Location");
    let query = url.query_pairs().into_owned().collect();
    (url, query)
}

/// The claims of a JWT, without verification (for claims that verification does not cover).
fn unverified_claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("a JWT payload");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64url"))
        .expect("JSON claims")
}

impl TestIdentity {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    fn tenant_url(&self, tenant: &str, path: &str) -> String {
        format!("{}/{tenant}{path}", self.base_url)
    }

    async fn get_json(&self, url: &str) -> (StatusCode, Value) {
        let response = self.http.get(url).send().await.expect("GET");
        let status = response.status();
        (status, response.json().await.expect("a JSON body"))
    }

    async fn control_json(
        &self,
        method: reqwest::Method,
        route: &str,
        body: Value,
    ) -> (StatusCode, Value) {
        let response = self
            .http
            .request(method, self.url(&format!("/_sandbox/identity/{route}")))
            .json(&body)
            .send()
            .await
            .expect("control request");
        let status = response.status();
        (status, response.json().await.expect("a JSON body"))
    }

    async fn get_authorize(&self, params: &[(String, String)]) -> reqwest::Response {
        self.http
            .get(self.tenant_url(PARTNER_TENANT, "/oauth2/v2.0/authorize"))
            .query(params)
            .send()
            .await
            .expect("GET authorize")
    }

    async fn post_sign_in(&self, params: &[(String, String)], login: &str) -> reqwest::Response {
        let mut form = params.to_vec();
        form.push(("login".into(), login.into()));
        self.http
            .post(self.tenant_url(PARTNER_TENANT, "/oauth2/v2.0/authorize"))
            .form(&form)
            .send()
            .await
            .expect("POST authorize")
    }

    /// Signs `login` in with PKCE and returns the code, asserting the redirect.
    async fn sign_in(&self, login: &str) -> SignIn {
        let (verifier, challenge) = pkce_pair();
        let nonce = format!("nonce-{}", uuid::Uuid::new_v4());
        let response = self
            .post_sign_in(&authorize_params(&challenge, &nonce, &[]), login)
            .await;
        assert_eq!(response.status(), StatusCode::FOUND);
        let (_, query) = redirect_query(&response);
        assert_eq!(query.get("state").map(String::as_str), Some("state-123"));
        SignIn {
            code: query.get("code").expect("a code").clone(),
            verifier,
            nonce,
        }
    }

    /// POSTs a token request with client_secret_post plus `fields`.
    async fn post_token(&self, fields: &[(&str, &str)]) -> (StatusCode, Value) {
        let mut form = vec![("client_id", CLIENT_ID), ("client_secret", CLIENT_SECRET)];
        form.extend_from_slice(fields);
        self.post_token_raw(&form).await
    }

    async fn post_token_raw(&self, form: &[(&str, &str)]) -> (StatusCode, Value) {
        let response = self
            .http
            .post(self.tenant_url(PARTNER_TENANT, "/oauth2/v2.0/token"))
            .form(form)
            .send()
            .await
            .expect("POST token");
        let status = response.status();
        (status, response.json().await.expect("a JSON body"))
    }

    async fn redeem(&self, sign_in: &SignIn) -> (StatusCode, Value) {
        self.post_token(&[
            ("grant_type", "authorization_code"),
            ("code", &sign_in.code),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", &sign_in.verifier),
        ])
        .await
    }

    async fn refresh(&self, refresh_token: &str) -> (StatusCode, Value) {
        self.post_token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("scope", "https://api.partnercenter.microsoft.com/.default"),
        ])
        .await
    }

    /// The signing key from the JWKS, as a JWT library loads it.
    async fn jwks_key(&self) -> DecodingKey {
        let (status, body) = self
            .get_json(&self.tenant_url(PARTNER_TENANT, "/discovery/v2.0/keys"))
            .await;
        assert_eq!(status, StatusCode::OK);
        let set: JwkSet = serde_json::from_value(body).expect("a JWKS");
        assert_eq!(set.keys.len(), 1);
        DecodingKey::from_jwk(&set.keys[0]).expect("an RSA key")
    }

    /// Verifies an ID token against the JWKS for `issuer_tenant`, the demo client and `exp`.
    async fn verify_id_token(&self, token: &str, issuer_tenant: &str) -> Value {
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_audience(&[CLIENT_ID]);
        validation.set_issuer(&[self.tenant_url(issuer_tenant, "/v2.0")]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        jsonwebtoken::decode::<Value>(token, &self.jwks_key().await, &validation)
            .expect("a valid ID token")
            .claims
    }

    /// The status and body of a Partner Center request with `authorization` as the raw
    /// `Authorization` header (none when `None`).
    async fn partner_center(
        &self,
        route: &str,
        authorization: Option<&str>,
    ) -> (StatusCode, String) {
        let mut request = self.http.get(self.url(route));
        if let Some(authorization) = authorization {
            request = request.header("Authorization", authorization);
        }
        let response = request.send().await.expect("Partner Center request");
        let status = response.status();
        (status, response.text().await.expect("a body"))
    }

    /// The status of a Partner Center request with `token` as bearer token.
    async fn partner_center_status(&self, route: &str, token: &str) -> StatusCode {
        self.partner_center(route, Some(&format!("Bearer {token}")))
            .await
            .0
    }
}

fn error_code(body: &Value) -> u64 {
    body["error_codes"][0].as_u64().expect("error_codes")
}

/// Asserts an identity endpoint's error answer: its status, OAuth `error` and first AADSTS
/// error code.
fn assert_token_error(
    status: StatusCode,
    body: &Value,
    expected: StatusCode,
    error: &str,
    code: u64,
) {
    assert_eq!(status, expected);
    assert_eq!(body["error"], error);
    assert_eq!(error_code(body), code);
}

#[tokio::test]
async fn the_discovery_document_names_the_tenant_endpoints_and_what_is_supported() {
    let app = spawn_identity().await;
    let (status, doc) = app
        .get_json(&app.tenant_url(PARTNER_TENANT, "/v2.0/.well-known/openid-configuration"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let tenant = |path: &str| Value::String(app.tenant_url(PARTNER_TENANT, path));
    assert_eq!(doc["issuer"], tenant("/v2.0"));
    assert_eq!(
        doc["authorization_endpoint"],
        tenant("/oauth2/v2.0/authorize")
    );
    assert_eq!(doc["token_endpoint"], tenant("/oauth2/v2.0/token"));
    assert_eq!(doc["jwks_uri"], tenant("/discovery/v2.0/keys"));
    assert_eq!(doc["end_session_endpoint"], tenant("/oauth2/v2.0/logout"));
    assert_eq!(
        doc["subject_types_supported"],
        serde_json::json!(["pairwise"])
    );
    assert_eq!(
        doc["id_token_signing_alg_values_supported"],
        serde_json::json!(["RS256"])
    );
    assert_eq!(
        doc["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    assert_eq!(
        doc["token_endpoint_auth_methods_supported"],
        serde_json::json!(["client_secret_post", "client_secret_basic"])
    );
    assert_eq!(doc["response_types_supported"], serde_json::json!(["code"]));
    for claim in ["sub", "nonce", "tid", "roles", "preferred_username"] {
        assert!(
            doc["claims_supported"]
                .as_array()
                .expect("claims")
                .contains(&Value::from(claim)),
            "claims_supported lacks {claim}"
        );
    }
    assert!(
        doc["scopes_supported"]
            .as_array()
            .expect("scopes")
            .contains(&Value::from("openid"))
    );

    let (status, other) = app
        .get_json(&app.tenant_url(OTHER_TENANT, "/v2.0/.well-known/openid-configuration"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        other["issuer"],
        Value::String(app.tenant_url(OTHER_TENANT, "/v2.0"))
    );
}

#[tokio::test]
async fn an_unknown_tenant_gets_an_invalid_tenant_error() {
    let app = spawn_identity().await;
    let (status, body) = app
        .get_json(
            &app.url("/11111111-2222-4333-8444-555555555555/v2.0/.well-known/openid-configuration"),
        )
        .await;
    assert_token_error(
        status,
        &body,
        StatusCode::BAD_REQUEST,
        "invalid_tenant",
        90002,
    );
}

#[tokio::test]
async fn the_jwks_holds_one_rs256_signing_key() {
    let app = spawn_identity().await;
    let (status, body) = app
        .get_json(&app.tenant_url(PARTNER_TENANT, "/discovery/v2.0/keys"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let key = &body["keys"][0];
    assert_eq!(key["kty"], "RSA");
    assert_eq!(key["use"], "sig");
    assert_eq!(key["alg"], "RS256");
    assert_eq!(key["e"], "AQAB");
    assert!(key["kid"].as_str().is_some_and(|kid| !kid.is_empty()));
    // A 2048-bit modulus is 256 bytes: 342 base64url characters.
    assert_eq!(key["n"].as_str().map(str::len), Some(342));
}

#[tokio::test]
async fn openidconnect_discovers_the_provider_and_completes_a_pkce_sign_in() {
    use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
    use openidconnect::{
        AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce,
        OAuth2TokenResponse, PkceCodeChallenge, RedirectUrl, Scope, TokenResponse,
    };

    let app = spawn_identity().await;
    let http = oauth2_reqwest::ReqwestClient::from(app.http.clone());
    let issuer = IssuerUrl::new(app.tenant_url(PARTNER_TENANT, "/v2.0")).expect("issuer");
    let metadata = CoreProviderMetadata::discover_async(issuer, &http)
        .await
        .expect("discovery accepted by openidconnect");
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(CLIENT_ID.into()),
        Some(ClientSecret::new(CLIENT_SECRET.into())),
    )
    .set_redirect_uri(RedirectUrl::new(REDIRECT_URI.into()).expect("redirect URL"));
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (authorize_url, state, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("offline_access".into()))
        .add_scope(Scope::new(
            "https://api.partnercenter.microsoft.com/user_impersonation".into(),
        ))
        .set_pkce_challenge(challenge)
        .url();

    // The browser's part: the page the authorize URL shows, then one click.
    let page = app
        .http
        .get(authorize_url.as_str())
        .send()
        .await
        .expect("GET authorize");
    assert_eq!(page.status(), StatusCode::OK);
    let params: Vec<(String, String)> = authorize_url.query_pairs().into_owned().collect();
    let redirect = app
        .post_sign_in(&params, "megan@northwindcsp.onmicrosoft.com")
        .await;
    assert_eq!(redirect.status(), StatusCode::FOUND);
    let (_, query) = redirect_query(&redirect);
    assert_eq!(query.get("state"), Some(state.secret()));

    // Spendboard's part: exchange with HTTP Basic client authentication, verify the ID token.
    let tokens = client
        .exchange_code(AuthorizationCode::new(query["code"].clone()))
        .expect("token endpoint known")
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .expect("code exchange");
    let id_token = tokens.id_token().expect("an ID token");
    let claims = id_token
        .claims(&client.id_token_verifier(), &nonce)
        .expect("an ID token openidconnect accepts");
    assert_eq!(
        claims.preferred_username().map(|name| name.as_str()),
        Some("megan@northwindcsp.onmicrosoft.com")
    );
    assert!(tokens.refresh_token().is_some());
    assert_eq!(
        tokens.expires_in().map(|lifetime| lifetime.as_secs()),
        Some(3600)
    );
}

#[tokio::test]
async fn the_sign_in_page_lists_the_four_demo_users_with_one_form_each() {
    let app = spawn_identity().await;
    let (_, challenge) = pkce_pair();
    let response = app
        .get_authorize(&authorize_params(&challenge, "n-1", &[]))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .is_ok_and(|value| value.starts_with("text/html"))
    );
    let html = response.text().await.expect("HTML");
    assert!(html.contains("Sign in to Partner Center sandbox"));
    let action =
        format!(r#"<form method="post" action="/{PARTNER_TENANT}/oauth2/v2.0/authorize">"#);
    assert_eq!(html.matches(&action).count(), 4);
    for (name, login) in [
        ("Adele Vance", ADELE),
        ("Megan Bowen", "megan@northwindcsp.onmicrosoft.com"),
        ("Lee Gu", LEE),
        ("Pat Taylor", PAT),
    ] {
        assert!(
            html.contains(&format!("Sign in as {name}</button>")),
            "no button for {name}"
        );
        assert!(
            html.contains(&format!(r#"name="login" value="{login}""#)),
            "no login for {name}"
        );
    }
    assert_eq!(
        html.matches(&format!(r#"name="code_challenge" value="{challenge}""#))
            .count(),
        4
    );
    assert_eq!(html.matches(r#"name="nonce" value="n-1""#).count(), 4);
}

#[tokio::test]
async fn the_code_flow_returns_tokens_whose_id_token_verifies_against_the_jwks() {
    let app = spawn_identity().await;
    let sign_in = app.sign_in(ADELE).await;
    let response = app
        .http
        .post(app.tenant_url(PARTNER_TENANT, "/oauth2/v2.0/token"))
        .form(&[
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
            ("grant_type", "authorization_code"),
            ("code", &sign_in.code),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", &sign_in.verifier),
        ])
        .send()
        .await
        .expect("POST token");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(
        body["scope"],
        "https://api.partnercenter.microsoft.com/user_impersonation"
    );
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["ext_expires_in"], 3600);
    assert!(
        body["refresh_token"]
            .as_str()
            .is_some_and(|token| token.len() > 40)
    );

    let before = chrono::Utc::now().timestamp();
    let claims = app
        .verify_id_token(body["id_token"].as_str().expect("id_token"), PARTNER_TENANT)
        .await;
    assert_eq!(claims["aud"], CLIENT_ID);
    assert_eq!(claims["nonce"], sign_in.nonce.as_str());
    assert_eq!(claims["tid"], PARTNER_TENANT);
    assert_eq!(claims["name"], "Adele Vance");
    assert_eq!(claims["preferred_username"], ADELE);
    assert_eq!(
        claims["roles"],
        serde_json::json!(["Spendboard.BudgetEditor"])
    );
    assert_eq!(claims["ver"], "2.0");
    assert!(
        claims["oid"]
            .as_str()
            .is_some_and(|oid| uuid::Uuid::parse_str(oid).is_ok())
    );
    let exp = claims["exp"].as_i64().expect("exp");
    assert!(
        (before + 3590..=before + 3610).contains(&exp),
        "exp {exp} is not an hour away"
    );

    let access_token = body["access_token"].as_str().expect("access_token");
    let access = unverified_claims(access_token);
    assert_eq!(access["aud"], PARTNER_CENTER_AUDIENCE);
    assert_eq!(access["scp"], "user_impersonation");
    assert_eq!(access["amr"], serde_json::json!(["pwd", "mfa"]));
    assert_eq!(access["upn"], ADELE);
    assert_eq!(access["appid"], CLIENT_ID);
    assert_eq!(access["oid"], claims["oid"]);
    assert_eq!(access["tid"], PARTNER_TENANT);
    assert_eq!(
        app.partner_center_status(DELEGATED_ROUTE, access_token)
            .await,
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_subject_is_stable_for_a_user_across_sign_ins() {
    let app = spawn_identity().await;
    let mut subjects = Vec::new();
    for _ in 0..2 {
        let sign_in = app.sign_in(ADELE).await;
        let (_, body) = app.redeem(&sign_in).await;
        let claims = app
            .verify_id_token(body["id_token"].as_str().expect("id_token"), PARTNER_TENANT)
            .await;
        subjects.push(claims["sub"].clone());
    }
    assert_eq!(subjects[0], subjects[1]);
    let sign_in = app.sign_in(LEE).await;
    let (_, body) = app.redeem(&sign_in).await;
    let lee = unverified_claims(body["id_token"].as_str().expect("id_token"));
    assert_ne!(lee["sub"], subjects[0]);
}

#[tokio::test]
async fn a_user_without_app_roles_gets_an_id_token_without_a_roles_claim() {
    let app = spawn_identity().await;
    let sign_in = app.sign_in(LEE).await;
    let (status, body) = app.redeem(&sign_in).await;
    assert_eq!(status, StatusCode::OK);
    let claims = app
        .verify_id_token(body["id_token"].as_str().expect("id_token"), PARTNER_TENANT)
        .await;
    assert_eq!(claims["name"], "Lee Gu");
    assert!(claims.get("roles").is_none(), "roles present: {claims}");
}

#[tokio::test]
async fn a_user_of_another_tenant_gets_that_tenants_id_and_issuer() {
    let app = spawn_identity().await;
    let sign_in = app.sign_in(PAT).await;
    let (status, body) = app.redeem(&sign_in).await;
    assert_eq!(status, StatusCode::OK);
    let claims = app
        .verify_id_token(body["id_token"].as_str().expect("id_token"), OTHER_TENANT)
        .await;
    assert_eq!(claims["tid"], OTHER_TENANT);
    assert_eq!(
        claims["iss"],
        Value::String(app.tenant_url(OTHER_TENANT, "/v2.0"))
    );
    assert_eq!(claims["roles"], serde_json::json!(["Spendboard.Reader"]));
    let access_token = body["access_token"].as_str().expect("access_token");
    let access = unverified_claims(access_token);
    assert_eq!(access["tid"], OTHER_TENANT);
    assert_eq!(
        access["iss"],
        Value::String(format!("https://sts.windows.net/{OTHER_TENANT}/"))
    );
    // Partner Center knows the token but not the tenant: 403, not 401.
    assert_eq!(
        app.partner_center_status(ANY_CALLER_ROUTE, access_token)
            .await,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn a_wrong_code_verifier_is_refused_with_invalid_grant() {
    let app = spawn_identity().await;
    let mut sign_in = app.sign_in(ADELE).await;
    sign_in.verifier = pkce_pair().0;
    let (status, body) = app.redeem(&sign_in).await;
    assert_token_error(
        status,
        &body,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
        50148,
    );
    assert!(
        body["error_description"]
            .as_str()
            .is_some_and(|text| text.starts_with("AADSTS50148: "))
    );
    assert!(
        body["trace_id"]
            .as_str()
            .is_some_and(|id| uuid::Uuid::parse_str(id).is_ok())
    );
    assert!(
        body["correlation_id"]
            .as_str()
            .is_some_and(|id| uuid::Uuid::parse_str(id).is_ok())
    );
    assert!(
        body["timestamp"]
            .as_str()
            .is_some_and(|time| time.ends_with('Z'))
    );
}

#[tokio::test]
async fn a_code_redeemed_twice_is_refused_the_second_time() {
    let app = spawn_identity().await;
    let sign_in = app.sign_in(ADELE).await;
    let (first, _) = app.redeem(&sign_in).await;
    assert_eq!(first, StatusCode::OK);
    let (second, body) = app.redeem(&sign_in).await;
    assert_token_error(
        second,
        &body,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
        54005,
    );
}

#[tokio::test]
async fn an_unregistered_redirect_uri_shows_an_error_page_and_never_redirects() {
    let app = spawn_identity().await;
    let (_, challenge) = pkce_pair();
    let params = authorize_params(
        &challenge,
        "n",
        &[("redirect_uri", "https://evil.example/callback")],
    );
    for response in [
        app.get_authorize(&params).await,
        app.post_sign_in(&params, ADELE).await,
    ] {
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert!(response.headers().get(LOCATION).is_none());
        let html = response.text().await.expect("HTML");
        assert!(html.contains("AADSTS50011"), "{html}");
        assert!(html.contains("https://evil.example/callback"));
    }
}

#[tokio::test]
async fn a_redirect_uri_registered_through_the_control_api_is_accepted() {
    let app = spawn_identity().await;
    let other = "http://127.0.0.1:9999/other/callback";
    let (_, challenge) = pkce_pair();
    let params = authorize_params(&challenge, "n", &[("redirect_uri", other)]);
    assert_eq!(
        app.get_authorize(&params).await.status(),
        StatusCode::BAD_REQUEST
    );
    let (status, body) = app
        .control_json(
            reqwest::Method::POST,
            "redirect-uris",
            serde_json::json!({ "uri": other }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body["redirect_uris"]
            .as_array()
            .expect("list")
            .contains(&Value::from(other))
    );
    assert_eq!(app.get_authorize(&params).await.status(), StatusCode::OK);

    let (status, body) = app
        .control_json(
            reqwest::Method::POST,
            "redirect-uris",
            serde_json::json!({ "uri": "not a url" }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|message| message.contains("uri"))
    );
}

#[tokio::test]
async fn a_redirect_uri_differing_at_the_token_endpoint_is_refused() {
    let app = spawn_identity().await;
    let sign_in = app.sign_in(ADELE).await;
    let (status, body) = app
        .post_token(&[
            ("grant_type", "authorization_code"),
            ("code", &sign_in.code),
            ("redirect_uri", "http://localhost:8080/other"),
            ("code_verifier", &sign_in.verifier),
        ])
        .await;
    assert_token_error(
        status,
        &body,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
        50011,
    );
}

#[tokio::test]
async fn an_unknown_client_id_is_refused_at_authorize_and_at_the_token_endpoint() {
    let app = spawn_identity().await;
    let (_, challenge) = pkce_pair();
    let unknown = "99999999-1a2b-4c3d-9e8f-7a6b5c4d3e2f";
    let response = app
        .get_authorize(&authorize_params(
            &challenge,
            "n",
            &[("client_id", unknown)],
        ))
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.headers().get(LOCATION).is_none());
    assert!(
        response
            .text()
            .await
            .expect("HTML")
            .contains("AADSTS700016")
    );

    let (status, body) = app
        .post_token_raw(&[
            ("client_id", unknown),
            ("client_secret", CLIENT_SECRET),
            ("grant_type", "client_credentials"),
            ("scope", "https://api.partnercenter.microsoft.com/.default"),
        ])
        .await;
    assert_token_error(
        status,
        &body,
        StatusCode::UNAUTHORIZED,
        "invalid_client",
        700016,
    );
}

#[tokio::test]
async fn a_wrong_client_secret_is_refused_with_401_invalid_client_in_either_method() {
    let app = spawn_identity().await;
    let sign_in = app.sign_in(ADELE).await;
    let fields = [
        ("grant_type", "authorization_code"),
        ("code", sign_in.code.as_str()),
        ("redirect_uri", REDIRECT_URI),
        ("code_verifier", sign_in.verifier.as_str()),
    ];
    let mut posted = vec![("client_id", CLIENT_ID), ("client_secret", "wrong")];
    posted.extend_from_slice(&fields);
    let (status, body) = app.post_token_raw(&posted).await;
    assert_token_error(
        status,
        &body,
        StatusCode::UNAUTHORIZED,
        "invalid_client",
        7000215,
    );

    let response = app
        .http
        .post(app.tenant_url(PARTNER_TENANT, "/oauth2/v2.0/token"))
        .basic_auth(CLIENT_ID, Some("wrong"))
        .form(&fields)
        .send()
        .await
        .expect("POST token");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["error"], "invalid_client");

    // A refused client does not spend the code: the right secret still redeems it.
    let (status, _) = app.redeem(&sign_in).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn the_plain_pkce_method_and_a_missing_challenge_are_refused_by_redirect() {
    let app = spawn_identity().await;
    let (_, challenge) = pkce_pair();
    for overrides in [
        vec![("code_challenge_method", "plain")],
        vec![("code_challenge_method", "")],
        vec![("code_challenge", "")],
    ] {
        let response = app
            .get_authorize(&authorize_params(&challenge, "n", &overrides))
            .await;
        assert_eq!(response.status(), StatusCode::FOUND, "{overrides:?}");
        let (url, query) = redirect_query(&response);
        assert!(url.as_str().starts_with(REDIRECT_URI));
        assert_eq!(query["error"], "invalid_request", "{overrides:?}");
        assert_eq!(query["state"], "state-123");
        assert!(query["error_description"].starts_with("AADSTS"));
    }
}

#[tokio::test]
async fn a_missing_state_or_nonce_is_refused_by_redirect_with_invalid_request() {
    let app = spawn_identity().await;
    let (_, challenge) = pkce_pair();
    let response = app
        .get_authorize(&authorize_params(&challenge, "n", &[("state", "")]))
        .await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let (_, query) = redirect_query(&response);
    assert_eq!(query["error"], "invalid_request");
    assert!(query["error_description"].contains("'state'"));
    assert!(!query.contains_key("state"));

    let response = app
        .post_sign_in(&authorize_params(&challenge, "", &[]), ADELE)
        .await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let (_, query) = redirect_query(&response);
    assert_eq!(query["error"], "invalid_request");
    assert!(query["error_description"].contains("'nonce'"));
    assert_eq!(query["state"], "state-123");
    assert!(!query.contains_key("code"));
}

#[tokio::test]
async fn a_response_type_other_than_code_is_refused_as_unsupported() {
    let app = spawn_identity().await;
    let (_, challenge) = pkce_pair();
    let response = app
        .get_authorize(&authorize_params(
            &challenge,
            "n",
            &[("response_type", "id_token")],
        ))
        .await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let (_, query) = redirect_query(&response);
    assert_eq!(query["error"], "unsupported_response_type");
}

#[tokio::test]
async fn an_unknown_account_at_sign_in_gets_an_error_page() {
    let app = spawn_identity().await;
    let (_, challenge) = pkce_pair();
    let response = app
        .post_sign_in(
            &authorize_params(&challenge, "n", &[]),
            "mallory@northwindcsp.onmicrosoft.com",
        )
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.headers().get(LOCATION).is_none());
    assert!(response.text().await.expect("HTML").contains("AADSTS50034"));
}

#[tokio::test]
async fn a_refresh_rotates_the_refresh_token_and_refuses_the_old_one() {
    let app = spawn_identity().await;
    let sign_in = app.sign_in(ADELE).await;
    let (_, first) = app.redeem(&sign_in).await;
    let old = first["refresh_token"].as_str().expect("refresh_token");

    let (status, second) = app.refresh(old).await;
    assert_eq!(status, StatusCode::OK);
    let new = second["refresh_token"]
        .as_str()
        .expect("a new refresh_token");
    assert_ne!(new, old);
    assert_ne!(second["access_token"], first["access_token"]);
    let claims = app
        .verify_id_token(
            second["id_token"].as_str().expect("a new id_token"),
            PARTNER_TENANT,
        )
        .await;
    assert_eq!(claims["preferred_username"], ADELE);
    let access_token = second["access_token"].as_str().expect("access_token");
    assert_eq!(
        app.partner_center_status(DELEGATED_ROUTE, access_token)
            .await,
        StatusCode::OK
    );

    let (status, body) = app.refresh(old).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");
    let (status, _) = app.refresh(new).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn client_credentials_give_an_app_only_partner_center_token() {
    let app = spawn_identity().await;
    let (status, body) = app
        .post_token(&[
            ("grant_type", "client_credentials"),
            ("scope", "https://api.partnercenter.microsoft.com/.default"),
        ])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["token_type"], "Bearer");
    assert!(body.get("refresh_token").is_none());
    assert!(body.get("id_token").is_none());
    let token = body["access_token"].as_str().expect("access_token");
    let claims = unverified_claims(token);
    assert_eq!(claims["idtyp"], "app");
    assert_eq!(claims["roles"], serde_json::json!([]));
    assert!(claims.get("scp").is_none());
    assert_eq!(claims["appid"], CLIENT_ID);
    assert_eq!(claims["aud"], PARTNER_CENTER_AUDIENCE);
    assert_eq!(claims["tid"], PARTNER_TENANT);
    assert_eq!(
        app.partner_center_status(ANY_CALLER_ROUTE, token).await,
        StatusCode::OK
    );
    assert_eq!(
        app.partner_center_status(DELEGATED_ROUTE, token).await,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn client_credentials_refuse_a_scope_other_than_partner_center_default() {
    let app = spawn_identity().await;
    let (status, body) = app
        .post_token(&[
            ("grant_type", "client_credentials"),
            (
                "scope",
                "https://api.partnercenter.microsoft.com/user_impersonation",
            ),
        ])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_scope");
}

#[tokio::test]
async fn an_unsupported_grant_type_is_refused() {
    let app = spawn_identity().await;
    let (status, body) = app
        .post_token(&[
            ("grant_type", "password"),
            ("username", ADELE),
            ("password", "x"),
        ])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "unsupported_grant_type");
}

#[tokio::test]
async fn revocation_refuses_earlier_access_tokens_and_refresh_tokens() {
    let app = spawn_identity().await;
    let sign_in = app.sign_in(ADELE).await;
    let (_, tokens) = app.redeem(&sign_in).await;
    let access = tokens["access_token"].as_str().expect("access_token");
    assert_eq!(
        app.partner_center_status(ANY_CALLER_ROUTE, access).await,
        StatusCode::OK
    );

    let (status, body) = app
        .control_json(reqwest::Method::POST, "revoke", Value::Null)
        .await;
    assert_eq!(status, StatusCode::OK);
    // This sign-in's and the one the sandbox helper made at start.
    assert_eq!(body["refresh_tokens_revoked"], 2);

    let (status, body) = app
        .partner_center(ANY_CALLER_ROUTE, Some(&format!("Bearer {access}")))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body.contains("revoked"), "{body}");
    assert_eq!(
        app.partner_center_status(ANY_CALLER_ROUTE, &app.sandbox.app_only)
            .await,
        StatusCode::UNAUTHORIZED
    );
    let (status, body) = app
        .refresh(tokens["refresh_token"].as_str().expect("refresh_token"))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");

    // Tokens issued after the revocation work.
    let sign_in = app.sign_in(ADELE).await;
    let (_, fresh) = app.redeem(&sign_in).await;
    let access = fresh["access_token"].as_str().expect("access_token");
    assert_eq!(
        app.partner_center_status(ANY_CALLER_ROUTE, access).await,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_shortened_token_lifetime_applies_to_later_tokens_which_then_expire() {
    let app = spawn_identity().await;
    let (status, body) = app
        .control_json(
            reqwest::Method::PUT,
            "token-lifetime",
            serde_json::json!({ "seconds": 1 }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["seconds"], 1);
    let (_, tokens) = app
        .post_token(&[
            ("grant_type", "client_credentials"),
            ("scope", "https://api.partnercenter.microsoft.com/.default"),
        ])
        .await;
    assert_eq!(tokens["expires_in"], 1);
    let access = tokens["access_token"].as_str().expect("access_token");
    assert_eq!(
        app.partner_center_status(ANY_CALLER_ROUTE, access).await,
        StatusCode::OK
    );
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let (status, body) = app
        .partner_center(ANY_CALLER_ROUTE, Some(&format!("Bearer {access}")))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body.contains("expired"), "{body}");

    for bad in [
        serde_json::json!({ "seconds": 0 }),
        serde_json::json!({ "secs": 5 }),
    ] {
        let (status, body) = app
            .control_json(reqwest::Method::PUT, "token-lifetime", bad)
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(
            body["error"]
                .as_str()
                .is_some_and(|message| !message.is_empty())
        );
    }
}

#[tokio::test]
async fn partner_center_refuses_missing_malformed_and_id_tokens_with_401() {
    let app = spawn_identity().await;
    let sign_in = app.sign_in(ADELE).await;
    let (_, tokens) = app.redeem(&sign_in).await;
    let id_token = format!("Bearer {}", tokens["id_token"].as_str().expect("id_token"));
    for authorization in [
        None,
        Some("Basic abc"),
        Some("Bearer not.a.jwt"),
        Some(id_token.as_str()),
    ] {
        let (status, _) = app.partner_center(ANY_CALLER_ROUTE, authorization).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{authorization:?}");
    }
}

#[tokio::test]
async fn sign_out_returns_only_to_the_origin_of_a_registered_redirect_uri() {
    let app = spawn_identity().await;
    let logout = app.tenant_url(PARTNER_TENANT, "/oauth2/v2.0/logout");
    let response = app
        .http
        .get(&logout)
        .query(&[
            (
                "post_logout_redirect_uri",
                "http://localhost:8080/signed-out",
            ),
            ("state", "bye"),
        ])
        .send()
        .await
        .expect("GET logout");
    assert_eq!(response.status(), StatusCode::FOUND);
    let (url, query) = redirect_query(&response);
    assert_eq!(url.path(), "/signed-out");
    assert_eq!(query["state"], "bye");

    let response = app
        .http
        .get(&logout)
        .query(&[("post_logout_redirect_uri", "https://evil.example/")])
        .send()
        .await
        .expect("GET logout");
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers().get(LOCATION).is_none());
    assert!(
        response
            .text()
            .await
            .expect("HTML")
            .contains("You have signed out")
    );
}
