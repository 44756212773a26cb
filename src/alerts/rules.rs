//! Editing the threshold rules: what a person typed becomes a rule, or a reason for them.

use crate::domain::{CustomerId, Threshold, ThresholdError, UserId};
use crate::store::{Store, StoreError};

/// Why a rule was not added.
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    /// The percentage or basis is not valid; the message is for the person.
    #[error(transparent)]
    Invalid(#[from] ThresholdError),
    /// The set already has this threshold.
    #[error("This set already has a threshold of {0}.")]
    Duplicate(Threshold),
    /// The database failed; nothing was saved.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Adds the threshold typed as `basis` (`actual` or `forecast`) and `percent` to the
/// partner-wide set (`customer` `None`) or to the customer's own set, as `user_id`.
///
/// # Errors
/// [`RuleError`]; nothing is saved then.
pub async fn add_rule(
    store: &Store,
    customer: Option<&CustomerId>,
    basis: &str,
    percent: &str,
    user_id: UserId,
) -> Result<Threshold, RuleError> {
    let threshold = Threshold::parse(basis, percent)?;
    if store.add_alert_rule(customer, threshold, user_id).await? {
        Ok(threshold)
    } else {
        Err(RuleError::Duplicate(threshold))
    }
}
