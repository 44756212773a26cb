//! The customer page as every handler that shows it renders it: on a plain view, and with a
//! form that failed its checks shown again with what was typed.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::{Duration, Months, Utc};

use crate::auth::{SessionUser, TypedSession, delegated_token};
use crate::domain::{BillingPeriod, Currency, CustomerId, Money};
use crate::error::AppError;
use crate::pages::{
    BudgetChangeRow, BudgetFormView, CustomerAlertsView, CustomerForms, CustomerPage,
    HistorySection, Layout, OwnerFormView, OwnersView, RuleForm, SubscriptionRow, TopResources,
    format_percent, format_utc, history_section, top_resources, usage_bar,
};
use crate::paths;
use crate::refresh;
use crate::state::AppState;
use crate::store::{BudgetChangeRecord, ChangeOutcome, CustomerSnapshot};

impl CustomerForms {
    /// The forms as first shown to `user`: each one they may use.
    pub fn for_user(snapshot: &CustomerSnapshot, user: &SessionUser) -> Self {
        Self {
            budget: user
                .access
                .can_edit_budgets()
                .then(|| BudgetFormView::for_budget(snapshot, user)),
            owner: user.access.can_assign_owners().then(|| OwnerFormView {
                action: paths::customer_owners(&snapshot.customer_id),
                remove_action: paths::customer_owners_remove(&snapshot.customer_id),
                csrf_token: user.csrf.as_str().to_owned(),
                ..OwnerFormView::default()
            }),
            ..Self::default()
        }
    }
}

impl BudgetFormView {
    /// The form as first shown: based on the budget Spendboard knows.
    pub fn for_budget(snapshot: &CustomerSnapshot, user: &SessionUser) -> Self {
        let amount = snapshot
            .budget
            .map(|b| Money::new(b, snapshot.currency.clone()).plain())
            .unwrap_or_default();
        // Exact, so that the conflict check compares what Partner Center holds.
        let based_on = snapshot
            .budget
            .map(|b| b.normalize().to_string())
            .unwrap_or_default();
        Self {
            action: paths::customer_budget(&snapshot.customer_id),
            csrf_token: user.csrf.as_str().to_owned(),
            currency: snapshot.currency.code().to_owned(),
            step: step(snapshot.currency.minor_units()),
            amount,
            remove: false,
            reason: String::new(),
            based_on,
            error: None,
            conflict: None,
        }
    }
}

/// The `step` attribute of an amount input: `1`, `0.01`, `0.001`.
fn step(minor_units: u32) -> String {
    if minor_units == 0 {
        "1".into()
    } else {
        format!("0.{}1", "0".repeat(minor_units as usize - 1))
    }
}

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
    let CustomerForms {
        budget: form,
        alert,
        owner: owner_form,
        rule: rule_form,
    } = forms;
    let id = snapshot.customer_id;
    let return_to = paths::customer(&id);
    let stale_after = Duration::minutes(state.settings.refresh.stale_after_minutes);
    let mut details_error = None;
    let summary = match state.store.customer_usage_summary(&id).await? {
        Some(summary) => {
            if Utc::now() - summary.fetched_at > stale_after {
                let token = delegated_token(state, user.id, &return_to).await?;
                refresh::spawn_single_flight(
                    state.clone(),
                    format!("customer:{id}"),
                    move |state| async move { refresh::refresh_customer(&state, &token, &id).await },
                );
            }
            Some(summary)
        }
        None => {
            let token = delegated_token(state, user.id, &return_to).await?;
            match refresh::refresh_customer(state, &token, &id).await {
                Ok(()) => state.store.customer_usage_summary(&id).await?,
                Err(e) => match e.downcast::<crate::partner_center::PartnerCenterError>() {
                    Ok(pc) if pc.is_unauthorized() => {
                        return Err(AppError::SignInRequired { return_to });
                    }
                    Ok(pc) => {
                        tracing::warn!(customer = %id, error = %pc, "customer details unavailable");
                        details_error = Some(format!(
                            "Spendboard could not read this customer's usage details from Partner Center, so the billing period and subscriptions are not shown. {} Reload the page to try again.",
                            pc.user_message()
                        ));
                        None
                    }
                    Err(other) => return Err(AppError::Unexpected(other)),
                },
            }
        }
    };
    let subscriptions = state.store.subscription_usage(&id).await?;
    let budget_changes = state.store.budget_changes_for_customer(&id, 50).await?;
    let history = customer_history(state, snapshot).await?;
    let top_resources = customer_top_resources(state, snapshot, subscriptions.len()).await?;
    let alerts = CustomerAlertsView::new(
        snapshot,
        &state.store.alert_rules(Some(&id)).await?,
        &state.store.alert_rules(None).await?,
        &state.store.recent_firings(Some(&id), 50).await?,
        rule_form.or_else(|| RuleForm::empty(Some(&id), user)),
    );
    let owners = owners_view(state, &id, owner_form).await?;
    let money = |amount| Money::new(amount, snapshot.currency.clone()).to_string();
    let page = CustomerPage {
        layout: Layout::for_user(user, session.take_flash(), state.settings.is_demo()),
        details_error,
        name: snapshot.company_name.clone(),
        customer_id: id.to_string(),
        currency: snapshot.currency.code().to_owned(),
        plan: if snapshot.is_azure_plan {
            "Azure plan"
        } else {
            "Legacy (MS-AZR-0145P)"
        },
        spend: money(snapshot.total_cost),
        usd_spend: snapshot
            .usd_total_cost
            .filter(|_| snapshot.is_azure_plan && snapshot.currency != Currency::usd())
            .map(|usd| Money::new(usd, Currency::usd()).to_string()),
        budget: snapshot.budget.map(money),
        percent: snapshot.percent_used.map(format_percent),
        bar: usage_bar(snapshot.percent_used),
        status_key: snapshot.status.key(),
        status_label: snapshot.status.label(),
        billing_period: summary.as_ref().map(|s| {
            format!(
                "{} to {}",
                s.billing_start.format("%Y-%m-%d"),
                (s.billing_end - Duration::days(1)).format("%Y-%m-%d")
            )
        }),
        data_as_of: format_utc(snapshot.fetched_at),
        last_modified: format_utc(snapshot.last_modified),
        subscriptions: subscriptions
            .iter()
            .map(|s| SubscriptionRow {
                name: s.name.clone(),
                url: crate::domain::SubscriptionId::parse(&s.subscription_id)
                    .ok()
                    .map(|sid| paths::subscription(&id, &sid)),
                id: s.subscription_id.clone(),
                offer_id: s.offer_id.clone(),
                status: s.status.clone(),
                spend: Money::new(s.total_cost, s.currency.clone()).to_string(),
            })
            .collect(),
        subscriptions_csv: paths::subscriptions_csv(&id),
        history,
        top_resources,
        budget_changes: budget_changes.iter().map(budget_change_row).collect(),
        budget_changes_csv: paths::budget_changes_csv(&id),
        form,
        owners,
        alert,
        alerts,
    };
    let html = page.render().map_err(|e| AppError::Unexpected(e.into()))?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(html))
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

fn budget_change_row(record: &BudgetChangeRecord) -> BudgetChangeRow {
    let intent = &record.intent;
    let amount = |a: Option<rust_decimal::Decimal>| match a {
        Some(a) => Money::new(a, intent.currency.clone()).to_string(),
        None => "no budget".to_owned(),
    };
    let decision = record.decision.as_ref().map(|(_, d)| d);
    let (outcome, outcome_class) = match decision.map(|d| d.outcome) {
        None => ("Being checked with Partner Center", "checking"),
        Some(ChangeOutcome::Applied) => ("Applied", "applied"),
        Some(ChangeOutcome::Refused) => ("Refused by Partner Center", "not-applied"),
        Some(ChangeOutcome::Conflict) => ("Not applied: changed meanwhile", "not-applied"),
        Some(ChangeOutcome::NotApplied) => ("Not applied", "not-applied"),
        Some(ChangeOutcome::Superseded) => ("Changed elsewhere meanwhile", "not-applied"),
    };
    let found = decision.and_then(|d| {
        let held = d
            .held
            .map(|h| format!("Partner Center holds {}", amount(h)));
        match (d.detail.as_deref(), held) {
            (Some(detail), Some(held)) => Some(format!("{detail}; {held}")),
            (Some(detail), None) => Some(detail.to_owned()),
            (None, held) => held.filter(|_| d.outcome != ChangeOutcome::Applied),
        }
    });
    let reason = [intent.reason.clone(), found]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" — ");
    BudgetChangeRow {
        at: format_utc(intent.requested_at),
        user: intent.user_name.clone(),
        batch: intent.batch_id,
        change: format!(
            "{} → {}",
            amount(intent.seen_amount),
            amount(intent.new_amount)
        ),
        outcome,
        outcome_class,
        reason,
        request_id: if intent.request_id.is_nil() {
            String::new()
        } else {
            intent.request_id.to_string()
        },
    }
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
    Ok(top_resources(
        named,
        &snapshot.currency,
        read,
        subscriptions.max(read),
    ))
}
