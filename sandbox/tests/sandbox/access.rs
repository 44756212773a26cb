//! Bearer tokens on the Partner Center routes: 401 without a valid token, 403 for app-only
//! tokens on App+User-only routes (docs/partner-center.md §14.3) and for another tenant's user.

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::{PAT, spawn_sandbox};

#[tokio::test]
async fn app_only_tokens_are_refused_on_app_and_user_routes_and_accepted_elsewhere() {
    let app = spawn_sandbox().await;
    let records = app.usage_records().await;
    let id = records[0]["id"].as_str().unwrap();
    for path in [
        "/v1/usagesummary".to_string(),
        "/v1/customers/usagerecords".to_string(),
        format!("/v1/customers/{id}/usagesummary"),
        format!("/v1/customers/{id}/subscriptions/usagerecords"),
    ] {
        let response = app
            .request(Method::GET, &path, Some(&app.app_only))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}");
        let fault: Value = response.json().await.unwrap();
        assert_eq!(
            fault["description"],
            "This resource can't be accessed by application credentials."
        );
    }
    for path in [
        "/v1/customers?size=5".to_string(),
        format!("/v1/customers/{id}"),
        format!("/v1/customers/{id}/usagebudget"),
        format!("/v1/customers/{id}/subscriptions"),
        "/v1/ratecards/azure".to_string(),
    ] {
        let response = app
            .request(Method::GET, &path, Some(&app.app_only))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
    }
    app.stop().await;
}

#[tokio::test]
async fn missing_or_forged_tokens_get_401_with_www_authenticate() {
    let app = spawn_sandbox().await;
    let missing = app
        .request(Method::GET, "/v1/customers/usagerecords", None)
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::UNAUTHORIZED);
    assert!(missing.headers().contains_key("www-authenticate"));
    let fault: Value = missing.json().await.unwrap();
    assert_eq!(fault["source"], "PartnerFD");
    assert!(fault["code"].is_number());

    let mut forged = app.delegated.clone();
    forged.pop();
    forged.push(if app.delegated.ends_with('A') {
        'B'
    } else {
        'A'
    });
    let response = app
        .request(Method::GET, "/v1/customers/usagerecords", Some(&forged))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(response.headers().contains_key("www-authenticate"));
    app.stop().await;
}

#[tokio::test]
async fn a_user_of_another_tenant_gets_403_authorization_failed() {
    let app = spawn_sandbox().await;
    let token = app.user_token(PAT).await;
    let response = app
        .request(Method::GET, "/v1/customers/usagerecords", Some(&token))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let fault: Value = response.json().await.unwrap();
    assert_eq!(fault["code"], 1002);
    assert_eq!(fault["description"], "Authorization Failed");
    app.stop().await;
}

#[tokio::test]
async fn the_control_api_takes_json_only_and_its_token_when_started_with_one() {
    use crate::helpers::spawn_sandbox_with;
    let plain = spawn_sandbox().await;
    let form = reqwest::Client::new()
        .post(plain.url("/_sandbox/identity/redirect-uris"))
        .header("content-type", "text/plain")
        .body(r#"{"uri": "http://evil.example/cb"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), reqwest::StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let bodiless = reqwest::Client::new()
        .post(plain.url("/_sandbox/reset"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        bodiless.status(),
        reqwest::StatusCode::UNSUPPORTED_MEDIA_TYPE
    );
    plain.stop().await;

    let guarded = spawn_sandbox_with(partner_center_sandbox::SandboxOptions {
        control_token: Some("t0ken".into()),
        ..Default::default()
    })
    .await;
    let call = |token: Option<&str>| {
        let mut request = reqwest::Client::new()
            .get(guarded.url("/_sandbox/clock"))
            .header("content-type", "application/json");
        if let Some(token) = token {
            request = request.header("x-sandbox-control-token", token);
        }
        request.send()
    };
    assert_eq!(
        call(None).await.unwrap().status(),
        reqwest::StatusCode::FORBIDDEN
    );
    assert_eq!(
        call(Some("wrong")).await.unwrap().status(),
        reqwest::StatusCode::FORBIDDEN
    );
    assert_eq!(
        call(Some("t0ken")).await.unwrap().status(),
        reqwest::StatusCode::OK
    );
    guarded.stop().await;
}
