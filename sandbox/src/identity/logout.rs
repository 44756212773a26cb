//! `GET /{tenant}/oauth2/v2.0/logout`: the end-session endpoint.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use url::Url;

use super::IdentityProvider;
use super::pages::{ErrorPage, SignedOutPage, render};

/// The query of a sign-out request.
#[derive(Debug, Deserialize)]
pub(crate) struct LogoutQuery {
    post_logout_redirect_uri: Option<String>,
    state: Option<String>,
}

/// Signs out (the sandbox keeps no session, so there is nothing to end) and returns to
/// `post_logout_redirect_uri` when it has the origin of a registered redirect URI, with
/// `state` if given; otherwise shows a "signed out" page.
#[tracing::instrument(skip_all, fields(tenant = %tenant))]
pub(crate) async fn sign_out(
    provider: web::Data<IdentityProvider>,
    tenant: web::Path<String>,
    query: web::Query<LogoutQuery>,
) -> HttpResponse {
    if provider.serves_tenant(&tenant).is_none() {
        let message = format!("Tenant '{tenant}' not found.");
        return render(
            &ErrorPage {
                title: "Unknown tenant",
                code: 90002,
                message: &message,
            },
            StatusCode::BAD_REQUEST,
        );
    }
    let target = query
        .post_logout_redirect_uri
        .as_deref()
        .and_then(|uri| Url::parse(uri).ok())
        .filter(|target| provider.is_trusted_origin(target));
    match target {
        Some(mut target) => {
            if let Some(state) = query.state.as_deref() {
                target.query_pairs_mut().append_pair("state", state);
            }
            HttpResponse::Found()
                .insert_header(("Location", target.as_str()))
                .finish()
        }
        None => render(&SignedOutPage, StatusCode::OK),
    }
}

impl IdentityProvider {
    /// True when `target` has the origin (scheme, host, port) of a registered redirect URI.
    fn is_trusted_origin(&self, target: &Url) -> bool {
        self.state()
            .redirect_uris
            .iter()
            .filter_map(|uri| Url::parse(uri).ok())
            .any(|registered| registered.origin() == target.origin())
    }
}
