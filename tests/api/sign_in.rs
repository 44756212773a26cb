//! Sign-in, its refusals, session rotation, sign-out and token renewal.

use reqwest::StatusCode;
use reqwest::header::{COOKIE, SET_COOKIE};

use crate::helpers::{
    EDITOR, NO_ROLE, OTHER_TENANT, READER, TestApp, assert_is_redirect_to, spawn_app,
    spawn_app_with,
};

pub(crate) fn session_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("spendboard_session="))
        .map(|v| v.split(';').next().unwrap_or_default().to_owned())
}

#[tokio::test]
async fn an_anonymous_visitor_is_sent_to_sign_in_and_comes_back_afterwards() {
    let app = spawn_app().await;
    assert_is_redirect_to(&app.get("/").await, "/sign-in");
    let customers = app
        .get("/customers/6f1c2a3b-4d5e-4f60-8a71-92b3c4d5e6f7")
        .await;
    assert_is_redirect_to(
        &customers,
        "/sign-in?return_to=%2Fcustomers%2F6f1c2a3b-4d5e-4f60-8a71-92b3c4d5e6f7",
    );
    let page = app.get_html("/sign-in").await;
    assert!(page.contains("Sign in with Microsoft"));
}

#[tokio::test]
async fn the_editor_signs_in_and_sees_every_customer_after_the_first_refresh() {
    let app = spawn_app().await;
    app.sign_in_and_load(EDITOR).await;
    let html = app.dashboard("").await;
    assert!(html.contains("Adele Vance"), "the user's name is shown");
    assert!(html.contains("Budget editor"));
    assert!(
        html.contains("60 matching customers"),
        "all 60 sandbox customers are listed"
    );
}

#[tokio::test]
async fn a_callback_whose_state_does_not_match_is_refused_and_signs_nobody_in() {
    let app = spawn_app().await;
    let callback = app.authorize_as(EDITOR).await;
    let mut url = url::Url::parse(&callback).unwrap();
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| {
            let value = if k == "state" {
                "forged".to_owned()
            } else {
                v.into_owned()
            };
            (k.into_owned(), value)
        })
        .collect();
    url.query_pairs_mut().clear().extend_pairs(pairs);
    let response = app.client.get(url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("This sign-in link is not valid any more. Sign in again.")
    );
    assert_is_redirect_to(&app.get("/").await, "/sign-in");
    // The forged callback did not use up the genuine sign-in.
    assert_is_redirect_to(&app.client.get(callback).send().await.unwrap(), "/");
}

#[tokio::test]
async fn a_callback_replayed_after_sign_in_is_refused() {
    let app = spawn_app().await;
    let callback = app.authorize_as(READER).await;
    let first = app.client.get(&callback).send().await.unwrap();
    assert_is_redirect_to(&first, "/");
    let replay = app.client.get(&callback).send().await.unwrap();
    assert_eq!(replay.status(), StatusCode::BAD_REQUEST);
    assert!(
        replay
            .text()
            .await
            .unwrap()
            .contains("This sign-in link is not valid any more")
    );
}

#[tokio::test]
async fn a_user_without_a_spendboard_role_gets_the_no_access_page() {
    let app = spawn_app().await;
    let response = app.sign_in_as(NO_ROLE).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let html = response.text().await.unwrap();
    assert!(
        html.contains("Lee Gu, your account has no Spendboard role"),
        "{html}"
    );
    assert_is_redirect_to(&app.get("/").await, "/sign-in");
}

#[tokio::test]
async fn a_user_of_another_tenant_gets_the_no_access_page() {
    let app = spawn_app().await;
    let response = app.sign_in_as(OTHER_TENANT).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("belongs to another organization")
    );
    assert_is_redirect_to(&app.get("/").await, "/sign-in");
}

#[tokio::test]
async fn the_session_id_changes_at_sign_in_and_sign_out_ends_it_everywhere() {
    let app = spawn_app().await;
    let start = app.get("/auth/start").await;
    assert_eq!(
        session_cookie(&start),
        None,
        "no session is stored for a sign-in in progress"
    );
    let first = app.sign_in_as(EDITOR).await;
    let before = session_cookie(&first).expect("a session cookie at sign-in");
    // Signing in again from a browser holding a session (e.g. one planted by someone else)
    // never keeps its id.
    let callback = app.authorize_as(READER).await;
    let signed_in = app.client.get(callback).send().await.unwrap();
    let after = session_cookie(&signed_in).expect("a new session cookie at sign-in");
    assert_ne!(before, after, "the session id is rotated");
    let planted = crate::helpers::plain_client()
        .get(app.url("/"))
        .header(COOKIE, &before)
        .send()
        .await
        .unwrap();
    assert_is_redirect_to(&planted, "/sign-in");

    let page = app.get("/refresh").await;
    let token = TestApp::csrf_token(&page.text().await.unwrap());
    let out = app.post_form("/sign-out", &[("csrf_token", &token)]).await;
    assert_is_redirect_to(&out, "/sign-in?signed_out=1");
    // The old cookie, replayed from elsewhere, no longer opens a session.
    let replayed = crate::helpers::plain_client()
        .get(app.url("/"))
        .header(COOKIE, after)
        .send()
        .await
        .unwrap();
    assert_is_redirect_to(&replayed, "/sign-in");
}

#[tokio::test]
async fn sign_out_without_the_csrf_token_is_refused() {
    let app = spawn_app().await;
    app.sign_in_as(READER).await;
    let response = app.post_form("/sign-out", &[]).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.text().await.unwrap().contains("security token"));
    assert_eq!(
        app.get("/refresh").await.status(),
        StatusCode::OK,
        "still signed in"
    );
}

#[tokio::test]
async fn a_revoked_partner_center_token_leads_back_to_sign_in_not_to_an_error() {
    let app = spawn_app().await;
    app.sign_in_and_load(EDITOR).await;
    app.sandbox_control(reqwest::Method::POST, "_sandbox/identity/revoke", None)
        .await;
    let html = app.get_html("/refresh").await;
    let token = TestApp::csrf_token(&html);
    let customer = first_customer_path(&app).await;
    let response = app.change_budget(&customer, &token, "", "100", None).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with("/sign-in"), "{location}");
    let page = app.get(&location).await;
    assert_eq!(
        page.status(),
        StatusCode::OK,
        "the sign-in page is shown, not a loop"
    );
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("Sign in with Microsoft")
    );
    assert_is_redirect_to(&app.sign_in_as(EDITOR).await, "/");
    assert_eq!(
        app.get(&customer).await.status(),
        StatusCode::OK,
        "signed in again"
    );
}

#[tokio::test]
async fn an_access_token_about_to_expire_is_renewed_with_the_refresh_token() {
    let options = partner_center_sandbox::SandboxOptions {
        access_token_lifetime: std::time::Duration::from_secs(120),
        ..Default::default()
    };
    let app = spawn_app_with(options, |_| {}).await;
    app.sign_in_and_load(EDITOR).await;
    let (user_id, before) = app
        .store()
        .latest_refreshable_tokens()
        .await
        .unwrap()
        .expect("stored tokens");
    let customer = first_customer_path(&app).await;
    assert_eq!(app.get(&customer).await.status(), StatusCode::OK);
    let after = app.store().tokens(user_id).await.unwrap().unwrap();
    assert_ne!(
        before.access_token, after.access_token,
        "a new access token was stored"
    );
    assert_ne!(
        before.refresh_token, after.refresh_token,
        "the refresh token rotated"
    );
    assert!(
        !String::from_utf8_lossy(&after.access_token).contains("eyJ"),
        "tokens are encrypted at rest"
    );
}

/// The path of the first customer on the dashboard.
pub async fn first_customer_path(app: &TestApp) -> String {
    let html = app.dashboard("sort=name").await;
    let doc = scraper::Html::parse_document(&html);
    let selector = scraper::Selector::parse("table.customers tbody th a").unwrap();
    doc.select(&selector)
        .next()
        .and_then(|a| a.value().attr("href"))
        .expect("a customer link")
        .to_owned()
}
