//! The attacks of the security review that once got through, one test per finding: each
//! reproduces the attack over HTTP against the real app and sandbox and asserts it is refused
//! and nothing changed.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{COOKIE, SET_COOKIE};
use serde_json::json;

use crate::helpers::{EDITOR, READER, TestApp, assert_is_redirect_to, spawn_app};
use crate::sign_in::first_customer_path;

/// A client without a cookie jar and without redirects: cookies are passed by hand.
fn bare_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The `spendboard_session=...` pair a response sets, if any.
fn set_session_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("spendboard_session="))
        .map(|v| v.split(';').next().unwrap_or_default().to_owned())
        .filter(|v| v != "spendboard_session=")
}

/// Signs in on `app.client` and returns the session cookie pair it got.
async fn signed_in_cookie(app: &TestApp, login: &str) -> String {
    let response = app.sign_in_as(login).await;
    assert_is_redirect_to(&response, "/");
    set_session_cookie(&response).expect("a session cookie at sign-in")
}

/// Asserts that `cookie` opens neither the dashboard nor the CSV export.
async fn assert_cookie_is_dead(app: &TestApp, cookie: &str) {
    for path in ["/", "/customers.csv"] {
        let response = bare_client()
            .get(app.url(path))
            .header(COOKIE, cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "{path} with {cookie} after sign-out"
        );
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        assert!(location.starts_with("/sign-in"), "{path}: {location}");
    }
}

async fn sign_out(app: &TestApp, cookie: &str) {
    let html = bare_client()
        .get(app.url("/refresh"))
        .header(COOKIE, cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = TestApp::csrf_token(&html);
    let out = bare_client()
        .post(app.url("/sign-out"))
        .header(COOKIE, cookie)
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_is_redirect_to(&out, "/sign-in?signed_out=1");
}

// Finding 1: signing out did not end the session.

#[tokio::test]
async fn pages_loading_in_parallel_while_signing_out_hand_back_no_signed_in_cookie() {
    let app = spawn_app().await;
    app.sign_in_and_load(READER).await;
    let cookie = signed_in_cookie(&app, READER).await;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut loops = Vec::new();
    for _ in 0..4 {
        let (url, cookie, stop) = (app.url("/"), cookie.clone(), stop.clone());
        loops.push(tokio::spawn(async move {
            let mut handed_back = Vec::new();
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                let response = bare_client()
                    .get(&url)
                    .header(COOKIE, &cookie)
                    .send()
                    .await
                    .unwrap();
                handed_back.extend(set_session_cookie(&response));
            }
            handed_back
        }));
    }
    tokio::time::sleep(Duration::from_millis(700)).await;
    sign_out(&app, &cookie).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let mut handed_back = Vec::new();
    for l in loops {
        handed_back.extend(l.await.unwrap());
    }
    assert_cookie_is_dead(&app, &cookie).await;
    for other in &handed_back {
        assert_cookie_is_dead(&app, other).await;
    }
}

#[tokio::test]
async fn a_slow_page_finishing_after_sign_out_does_not_sign_the_person_in_again() {
    let app = spawn_app().await;
    app.sign_in_and_load(EDITOR).await;
    let cookie = signed_in_cookie(&app, EDITOR).await;
    let customer = first_customer_path(&app).await;
    app.sandbox_control(
        reqwest::Method::POST,
        "_sandbox/faults",
        Some(
            json!({ "route": "GET /v1/customers/{id}/usagesummary", "kind": "delay", "ms": 4000 }),
        ),
    )
    .await;
    let slow = {
        let (url, cookie) = (app.url(&customer), cookie.clone());
        tokio::spawn(async move {
            bare_client()
                .get(url)
                .header(COOKIE, cookie)
                .send()
                .await
                .unwrap()
        })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    sign_out(&app, &cookie).await;
    let slow = slow.await.unwrap();
    assert_cookie_is_dead(&app, &cookie).await;
    if let Some(handed_back) = set_session_cookie(&slow) {
        assert_cookie_is_dead(&app, &handed_back).await;
    }
}
