//! One error type for every handler ([`AppError`]), with what a person is told of one
//! ([`PublicError`]); how each is answered over HTTP is decided in one place,
//! `routes/error_response.rs`.

use crate::partner_center::PartnerCenterError;

/// Marks a response whose session must end (the error page purges it).
#[derive(Debug, Clone, Copy)]
pub struct EndSession;

/// Marks a response given because the database is unreachable (the error page notes the
/// outage, which logs it once).
#[derive(Debug, Clone)]
pub struct DatabaseUnreachable(pub String);

/// What people are told while the database is unreachable.
pub fn database_unreachable_page() -> PublicError {
    PublicError {
        title: "The database is unreachable",
        message: "Spendboard cannot reach its database right now, so it cannot show or change anything. Nothing was changed. This is usually brief: try again in a minute; if it lasts, tell your administrator.".into(),
    }
}

/// What a person is told about an error (rendered by the error pages of `routes/errors.rs`).
#[derive(Debug, Clone)]
pub struct PublicError {
    pub title: &'static str,
    pub message: String,
}

/// Every way a request can fail.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Not signed in, or the Partner Center token can no longer be renewed.
    #[error("sign-in required")]
    SignInRequired {
        /// The path to come back to after sign-in.
        return_to: String,
    },
    /// Signed in, but without the right.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// The person no longer has any Spendboard role (found at a token renewal or on a
    /// request): the session ends, with the no-access page.
    #[error("no Spendboard role any more")]
    AccessRevoked,
    /// No such page or customer.
    #[error("not found: {0}")]
    NotFound(String),
    /// A request that cannot be understood (e.g. a missing CSRF token).
    #[error("bad request: {0}")]
    BadRequest(String),
    /// Something Spendboard needs is unavailable right now; the message says what is known
    /// and what happens next.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// The database cannot be reached (an outage): a 503 page saying so.
    #[error("database unreachable: {0}")]
    DatabaseUnavailable(String),
    /// Partner Center refused or failed.
    #[error("Partner Center: {0}")]
    PartnerCenter(#[from] PartnerCenterError),
    /// Anything else: a bug or an outage on our side.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<crate::store::StoreError> for AppError {
    fn from(e: crate::store::StoreError) -> Self {
        if e.is_unavailable() {
            let detail = match &e {
                crate::store::StoreError::Database(source) => source.to_string(),
                other => other.to_string(),
            };
            return Self::DatabaseUnavailable(detail);
        }
        Self::Unexpected(anyhow::Error::new(e).context("database"))
    }
}
