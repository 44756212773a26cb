//! The HTML pages of the identity provider (askama templates under `templates/identity/`).

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;

use super::users::DemoUser;

/// The sign-in page: one form per demo account, each re-posting the authorize parameters.
#[derive(Template)]
#[template(path = "identity/sign_in.html")]
pub(crate) struct SignInPage<'a> {
    /// The form action: the authorize path of the tenant.
    pub action: String,
    /// The authorize request's parameters, carried as hidden inputs.
    pub params: &'a [(String, String)],
    pub accounts: Vec<AccountCard>,
    pub client_id: &'a str,
    pub redirect_uri: &'a str,
}

/// One demo account as the sign-in page shows it.
pub(crate) struct AccountCard {
    pub name: &'static str,
    pub login: &'static str,
    pub description: &'static str,
    /// The app roles, comma-separated, or "none".
    pub roles: String,
}

impl From<&'static DemoUser> for AccountCard {
    fn from(user: &'static DemoUser) -> Self {
        Self {
            name: user.name,
            login: user.preferred_username,
            description: user.description,
            roles: if user.roles.is_empty() {
                "none".to_owned()
            } else {
                user.roles.join(", ")
            },
        }
    }
}

/// An error the identity provider shows instead of redirecting back to the application.
#[derive(Template)]
#[template(path = "identity/error.html")]
pub(crate) struct ErrorPage<'a> {
    pub title: &'a str,
    /// The Entra ID `AADSTS` number.
    pub code: u32,
    pub message: &'a str,
}

/// Shown by the end-session endpoint when there is nowhere to return to.
#[derive(Template)]
#[template(path = "identity/signed_out.html")]
pub(crate) struct SignedOutPage;

/// Renders a page with `status`; a rendering failure becomes a plain 500 and is logged.
pub(crate) fn render(page: &impl Template, status: StatusCode) -> HttpResponse {
    match page.render() {
        Ok(html) => HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .insert_header(("Cache-Control", "no-store"))
            .body(html),
        Err(error) => {
            tracing::error!(%error, "rendering an identity page failed");
            HttpResponse::InternalServerError().body("the sign-in page could not be rendered")
        }
    }
}
