//! The customer page as every handler that shows it renders it: on a plain view, and with a
//! form that failed its checks shown again with what was typed. With it, how a page or an
//! export shows a failed first fetch of a customer's or subscription's details.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::Months;

use super::delegated::delegated_token;
use super::session::TypedSession;
use crate::auth::SessionUser;
use crate::domain::{BillingPeriod, CustomerId, SubscriptionId};
use crate::error::AppError;
use crate::pages::{
    CustomerAlertsView, CustomerData, CustomerForms, CustomerPage, HistorySection, Layout,
    OwnerFormView, OwnersView, RuleForm, TopResources, history_section, top_resources,
};
use crate::partner_center::PartnerCenterError;
use crate::paths;
use crate::refresh::FreshError;
use crate::state::AppState;
use crate::store::{CustomerSnapshot, CustomerUsageSummaryRow, SubscriptionSummary};

/// Renders the customer page with `status`; fetches the customer's details from Partner
/// Center first when Spendboard has none yet, and in the background when they are stale.
///
/// # Errors
/// Database failures, and Partner Center failures of a first fetch.
pub async fn render_customer_page(
    state: &web::Data<AppState>,
    user: &SessionUser,
    session: &TypedSession,
    snapshot: &CustomerSnapshot,
    forms: CustomerForms,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let id = snapshot.customer_id;
    let (summary, details_error) = customer_summary(state, user, id).await?;
    let subscriptions = state.store.subscription_usage(&id).await?;
    let page = CustomerPage::new(CustomerData {
        layout: Layout::for_user(user, session.take_flash(), state.settings.is_demo()),
        snapshot,
        summary: summary.as_ref(),
        details_error,
        subscriptions: &subscriptions,
        budget_changes: &state.store.budget_changes_for_customer(&id, 50).await?,
        history: customer_history(state, snapshot).await?,
        top_resources: customer_top_resources(state, snapshot, subscriptions.len()).await?,
        alerts: customer_alerts(state, snapshot, user, forms.rule).await?,
        owners: owners_view(state, &id, forms.owner).await?,
        form: forms.budget,
        alert: forms.alert,
    });
    let html = page.render().map_err(|e| AppError::Unexpected(e.into()))?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(html))
}

/// The customer's usage summary (see
/// [`Refresher::customer_summary`](crate::refresh::Refresher::customer_summary)); when its
/// first fetch fails at Partner Center (other than refusing the sign-in), none, and why in
/// words.
async fn customer_summary(
    state: &web::Data<AppState>,
    user: &SessionUser,
    id: CustomerId,
) -> Result<(Option<CustomerUsageSummaryRow>, Option<String>), AppError> {
    let return_to = paths::customer(&id);
    let token = delegated_token(state, user.id, &return_to);
    match state.refresher.customer_summary(id, true, token).await {
        Ok(summary) => Ok((summary, None)),
        Err(FreshError::Fetch(e)) => match e.downcast_ref::<PartnerCenterError>() {
            Some(pc) if !pc.is_unauthorized() => {
                tracing::warn!(customer = %id, error = %pc, "customer details unavailable");
                Ok((
                    None,
                    Some(format!(
                        "Spendboard could not read this customer's usage details from Partner Center, so the billing period and subscriptions are not shown. {} Reload the page to try again.",
                        pc.user_message()
                    )),
                ))
            }
            _ => Err(fetch_error(FreshError::Fetch(e), &return_to)),
        },
        Err(e) => Err(fetch_error(e, &return_to)),
    }
}

/// Fetches the customer's details from Partner Center when Spendboard has none yet (as the
/// customer page does, without refreshing stale ones).
///
/// # Errors
/// As [`fetch_error`] says.
pub async fn customer_details(
    state: &web::Data<AppState>,
    user: &SessionUser,
    id: CustomerId,
) -> Result<(), AppError> {
    let return_to = paths::customer(&id);
    let token = delegated_token(state, user.id, &return_to);
    (state.refresher)
        .customer_summary(id, false, token)
        .await
        .map_err(|e| fetch_error(e, &return_to))?;
    Ok(())
}

/// The subscription's stored summary (its resources and meters are stored with it), see
/// [`Refresher::subscription_summary`](crate::refresh::Refresher::subscription_summary).
///
/// # Errors
/// As [`fetch_error`] says.
pub async fn subscription_summary(
    state: &web::Data<AppState>,
    user: &SessionUser,
    customer: CustomerId,
    subscription: SubscriptionId,
) -> Result<SubscriptionSummary, AppError> {
    let return_to = paths::subscription(&customer, &subscription);
    let token = delegated_token(state, user.id, &return_to);
    (state.refresher)
        .subscription_summary(customer, subscription, token)
        .await
        .map_err(|e| fetch_error(e, &return_to))?
        .ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("the fetched summary was not stored")))
}

/// How a page (at `return_to`) without its data shows why: the token's and the store's
/// errors as they are; of a failed first fetch, Partner Center's 401 sends the user to sign
/// in again (back to `return_to`), its 404 is ours, other refusals are shown as Partner
/// Center's.
fn fetch_error(error: FreshError<AppError>, return_to: &str) -> AppError {
    let error = match error {
        FreshError::Token(e) => return e,
        FreshError::Store(e) => return e.into(),
        FreshError::Fetch(e) => e,
    };
    match error.downcast::<PartnerCenterError>() {
        Ok(pc) if pc.is_unauthorized() => AppError::SignInRequired {
            return_to: return_to.to_owned(),
        },
        Ok(pc) if pc.is_not_found() => AppError::NotFound(format!(
            "Partner Center knows no such subscription or customer: {}",
            pc.user_message()
        )),
        Ok(pc) => AppError::PartnerCenter(pc),
        Err(other) => AppError::Unexpected(other),
    }
}

/// The alert thresholds that apply to the customer, their recent firings, and the threshold
/// form (`form`, or the empty one for budget editors).
async fn customer_alerts(
    state: &AppState,
    snapshot: &CustomerSnapshot,
    user: &SessionUser,
    form: Option<RuleForm>,
) -> Result<CustomerAlertsView, AppError> {
    let id = &snapshot.customer_id;
    Ok(CustomerAlertsView::new(
        snapshot,
        &state.store.alert_rules(Some(id)).await?,
        &state.store.alert_rules(None).await?,
        &state.store.recent_firings(Some(id), 50).await?,
        form.or_else(|| RuleForm::empty(Some(id), user)),
    ))
}

/// The customer's owners, and `form` with the people Spendboard knows as suggestions.
async fn owners_view(
    state: &AppState,
    id: &CustomerId,
    form: Option<OwnerFormView>,
) -> Result<OwnersView, AppError> {
    let names = state.store.owners_of(id).await?;
    let form = match form {
        Some(mut form) => {
            form.known = state
                .store
                .known_sign_in_names()
                .await?
                .into_iter()
                .filter(|known| !names.contains(known))
                .map(String::from)
                .collect();
            Some(form)
        }
        None => None,
    };
    Ok(OwnersView {
        names: names.into_iter().map(String::from).collect(),
        form,
    })
}

/// How many billing periods before the current one the customer page shows.
const PAST_PERIODS: u32 = 12;

/// The customer's recorded days of the current and the past [`PAST_PERIODS`] billing
/// periods, with the stored forecast, as the page shows them.
async fn customer_history(
    state: &AppState,
    snapshot: &CustomerSnapshot,
) -> Result<HistorySection, AppError> {
    let day = snapshot.forecast_day();
    let start = BillingPeriod::containing(day).start;
    let from = start
        .checked_sub_months(Months::new(PAST_PERIODS))
        .unwrap_or(start);
    let history = state
        .store
        .daily_usage(&snapshot.customer_id, from, day)
        .await?;
    Ok(history_section(snapshot, &history))
}

/// The customer's most expensive resources over the subscriptions whose resource usage
/// Spendboard has read (a subscription's page reads it), of its `subscriptions`.
async fn customer_top_resources(
    state: &AppState,
    snapshot: &CustomerSnapshot,
    subscriptions: usize,
) -> Result<TopResources, AppError> {
    let (read, resources) = state
        .store
        .customer_resource_usage(&snapshot.customer_id)
        .await?;
    let named = resources
        .into_iter()
        .map(|r| {
            let name = r
                .resource_name
                .or(r.resource_uri)
                .unwrap_or_else(|| "(unnamed resource)".to_owned());
            (name, r.total_cost)
        })
        .collect();
    let read = usize::try_from(read).unwrap_or(usize::MAX);
    // Subscriptions read earlier may have gone since: never "3 of 2".
    Ok(top_resources(named, read, subscriptions.max(read)))
}
