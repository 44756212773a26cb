//! `GET|PATCH /v1/customers/{id}/usagebudget` (docs/partner-center.md §9): the flat SpendingBudget
//! `{amount, usageSpendingBudget, attributes}`. PATCH accepts camelCase and PascalCase (any
//! case) keys; `"amount": null` (or no amount) clears the budget.

use std::collections::HashMap;
use std::str::FromStr;

use actix_web::{HttpRequest, HttpResponse, web};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::value::RawValue;

use super::customer_index;
use crate::auth::AnyCaller;
use crate::state::SandboxState;
use crate::wire::fault::ApiError;
use crate::wire::{Attributes, Num};

/// The largest budget accepted, in the customer's currency.
const MAX_BUDGET: i64 = 1_000_000_000_000;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct SpendingBudget {
    #[serde(skip_serializing_if = "Option::is_none")]
    amount: Option<Num>,
    #[serde(skip_serializing_if = "Option::is_none")]
    usage_spending_budget: Option<Num>,
    attributes: Attributes,
}

fn budget_response(amount: Option<Decimal>) -> HttpResponse {
    HttpResponse::Ok().json(SpendingBudget {
        amount: amount.map(Num),
        usage_spending_budget: amount.map(Num),
        attributes: Attributes::of("SpendingBudget"),
    })
}

/// `GET /v1/customers/{id}/usagebudget` (App-only or App+User).
pub async fn get(
    _caller: AnyCaller,
    path: web::Path<String>,
    state: web::Data<SandboxState>,
) -> Result<HttpResponse, ApiError> {
    let index = customer_index(&state, &path)?;
    Ok(budget_response(state.budget(index)))
}

/// `PATCH /v1/customers/{id}/usagebudget` (App-only or App+User). 400 ApiFault 3000 for a
/// negative, non-numeric or absurd amount, or one with more decimals than the currency has.
pub async fn patch(
    _caller: AnyCaller,
    request: HttpRequest,
    path: web::Path<String>,
    state: web::Data<SandboxState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let index = customer_index(&state, &path)?;
    let fields: HashMap<String, Box<RawValue>> = serde_json::from_slice(&body)
        .map_err(|err| ApiError::InvalidInput(format!("the body is not a JSON object: {err}")))?;
    let raw_amount = fields
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case("amount"))
        .map(|(_, value)| value.get().trim());
    let decimals = state.data.customers[index].currency.decimals;
    let amount = match raw_amount {
        None | Some("null") => None,
        Some(raw) => Some(parse_amount(raw, decimals)?),
    };
    let request_id = request
        .headers()
        .get("ms-requestid")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    state.apply_budget_change(index, amount, request_id);
    Ok(budget_response(amount))
}

/// Parses a JSON number into a budget amount, exactly (no trip through f64).
fn parse_amount(raw: &str, decimals: u32) -> Result<Decimal, ApiError> {
    let invalid = |why: &str| ApiError::InvalidProperty(format!("amount {raw}: {why}"));
    if !raw.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
        return Err(invalid("must be a number"));
    }
    let amount = Decimal::from_str(raw)
        .or_else(|_| Decimal::from_scientific(raw))
        .map_err(|_| invalid("must be a number within range"))?
        .normalize();
    if amount.is_sign_negative() && !amount.is_zero() {
        return Err(invalid("must not be negative"));
    }
    if amount > Decimal::from(MAX_BUDGET) {
        return Err(invalid("is unreasonably large"));
    }
    if amount.scale() > decimals {
        return Err(invalid(&format!(
            "has more than {decimals} decimal places for this currency"
        )));
    }
    Ok(amount.abs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_keep_every_digit_and_drop_trailing_zeros() {
        assert_eq!(parse_amount("100.0", 2).unwrap(), Decimal::from(100));
        assert_eq!(parse_amount("0.10", 2).unwrap(), Decimal::new(1, 1));
        assert_eq!(parse_amount("1.5e2", 0).unwrap(), Decimal::from(150));
    }

    #[test]
    fn amounts_beyond_the_currency_decimals_or_range_are_invalid_properties() {
        for (raw, decimals) in [
            ("10.005", 2),
            ("1.5", 0),
            ("-1", 2),
            ("\"5\"", 2),
            ("1e13", 2),
            ("true", 2),
        ] {
            assert!(
                matches!(
                    parse_amount(raw, decimals),
                    Err(ApiError::InvalidProperty(_))
                ),
                "{raw}"
            );
        }
    }
}
