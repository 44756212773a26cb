//! Pages with little data: sign-in, no access, errors.

use askama::Template;
use askama_web::WebTemplate;

use super::Layout;
use crate::error::PublicError;

/// The sign-in page.
#[derive(Template, WebTemplate)]
#[template(path = "pages/sign_in.html")]
pub struct SignInPage {
    pub layout: Layout,
    /// Where to go after sign-in (a local path).
    pub return_to: String,
    /// Why the last attempt failed.
    pub error: Option<String>,
    pub signed_out: bool,
}

/// Shown to people who signed in but may not use Spendboard.
#[derive(Template, WebTemplate)]
#[template(path = "pages/no_access.html")]
pub struct NoAccessPage {
    pub layout: Layout,
    pub reason: String,
}

/// Every error without a page of its own.
#[derive(Template, WebTemplate)]
#[template(path = "pages/error.html")]
pub struct ErrorPage {
    pub layout: Layout,
    pub status: u16,
    pub title: String,
    pub message: String,
    pub request_id: String,
}

impl ErrorPage {
    /// The page for the HTTP `status` code.
    pub fn new(status: u16, public: PublicError, request_id: String) -> Self {
        Self {
            layout: Layout::anonymous(false),
            status,
            title: public.title.to_owned(),
            message: public.message,
            request_id,
        }
    }
}
