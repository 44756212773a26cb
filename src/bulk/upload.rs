//! Budgets uploaded as CSV: one line per customer, `customer,amount[,reason]`, the customer
//! by id or exact name, the amount in the customer's currency. Every line is checked before
//! anything is planned; one bad line and nothing is (each error names its line).

use std::collections::{HashMap, HashSet};

use rust_decimal::Decimal;
use serde::Deserialize;

use crate::domain::{BudgetAmount, CustomerId, Money, SignInName, UsageStatus, same_budget};
use crate::store::{CustomerSnapshot, DashboardView, PlannedItem};

/// The largest file accepted, in bytes.
pub const MAX_UPLOAD_BYTES: usize = 1024 * 1024;

/// Longest reason kept, in characters (as for a single edit).
const MAX_REASON: usize = 500;

/// What is wrong with an uploaded file: the file as a whole, or these lines (`Line N: ...`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UploadError {
    /// Not a CSV text file, empty, or too large.
    File(String),
    /// The lines that cannot be planned, each with its number and the reason.
    Lines(Vec<String>),
}

/// One line as written: `customer,amount[,reason]`.
#[derive(Debug, Deserialize)]
struct BudgetLine {
    customer: String,
    amount: String,
    #[serde(default)]
    reason: Option<String>,
}

/// The plan of an uploaded budget file against the customers of `view`: each line's
/// customer gets its amount (left out when unchanged); `maximum` and `near_threshold` as
/// for a single edit.
///
/// # Errors
/// [`UploadError::File`] for a file that is not CSV text or is empty,
/// [`UploadError::Lines`] with every bad line: an unknown or ambiguous customer, an amount
/// that is not valid for the customer's currency, a customer on two lines.
pub fn plan_budget_file(
    bytes: &[u8],
    view: &DashboardView,
    maximum: Decimal,
    near_threshold: Decimal,
) -> Result<Vec<PlannedItem>, UploadError> {
    let mut seen: HashMap<CustomerId, u64> = HashMap::new();
    plan_lines(bytes, view, |line, record, customers| {
        let parsed: BudgetLine = match record.deserialize(None) {
            Ok(parsed) if record.len() <= 3 => parsed,
            _ => return Err(
                "expected customer id or exact name, amount and an optional reason, separated by commas.".into(),
            ),
        };
        let customer = customers.resolve(&parsed.customer)?;
        if let Some(first) = seen.insert(customer.customer_id, line) {
            return Err(format!(
                "{} is on line {first} already.",
                customer.company_name
            ));
        }
        plan_line(&parsed, customer, maximum, near_threshold)
    })
}

/// Each line of a file planned with `plan` (given the line's number, its fields and the
/// customers of `view`).
///
/// # Errors
/// [`UploadError::File`] as [`records`]; [`UploadError::Lines`] with every line that is not
/// CSV or that `plan` refuses (`Line N: ` and its message).
fn plan_lines<'a, T>(
    bytes: &[u8],
    view: &'a DashboardView,
    mut plan: impl FnMut(u64, &csv::StringRecord, &Customers<'a>) -> Result<T, String>,
) -> Result<Vec<T>, UploadError> {
    let (records, mut errors) = records(bytes)?;
    let customers = Customers {
        view,
        by_name: names(view),
    };
    let mut planned = Vec::new();
    for (line, record) in records {
        match plan(line, &record, &customers) {
            Ok(item) => planned.push(item),
            Err(message) => errors.push(format!("Line {line}: {message}")),
        }
    }
    if errors.is_empty() {
        Ok(planned)
    } else {
        Err(UploadError::Lines(errors))
    }
}

/// The customers a file may name: those of the dashboard, by id or exact name.
struct Customers<'a> {
    view: &'a DashboardView,
    /// Several may share one name.
    by_name: HashMap<&'a str, Vec<&'a CustomerSnapshot>>,
}

impl<'a> Customers<'a> {
    /// The customer a line names, by id or exact name.
    fn resolve(&self, written: &str) -> Result<&'a CustomerSnapshot, String> {
        resolve(written, self.view, &self.by_name)
    }
}

/// The customer a line names, by id or exact name.
fn resolve<'a>(
    written: &str,
    view: &'a DashboardView,
    by_name: &HashMap<&str, Vec<&'a CustomerSnapshot>>,
) -> Result<&'a CustomerSnapshot, String> {
    match CustomerId::parse(written) {
        Ok(id) => view
            .snapshot(&id)
            .ok_or_else(|| format!("no customer has the id {id}.")),
        Err(_) => match by_name.get(written).map(Vec::as_slice) {
            Some([customer]) => Ok(*customer),
            Some(several) => {
                let ids: HashSet<String> =
                    several.iter().map(|c| c.customer_id.to_string()).collect();
                Err(format!(
                    "{} customers are named \"{written}\"; write the customer id instead ({}).",
                    several.len(),
                    ids.into_iter().collect::<Vec<_>>().join(", ")
                ))
            }
            None => Err(format!(
                "no customer is named exactly \"{written}\" (write the name as the dashboard shows it, or the customer id)."
            )),
        },
    }
}

/// The plan of one line for its `customer`.
fn plan_line(
    line: &BudgetLine,
    customer: &CustomerSnapshot,
    maximum: Decimal,
    near_threshold: Decimal,
) -> Result<PlannedItem, String> {
    let currency = customer.currency();
    let amount = BudgetAmount::parse(&line.amount, currency, maximum)
        .map_err(|e| format!("{} ({currency}): {e}", customer.company_name))?
        .amount();
    let projected = (customer.forecast.as_ref()).map(|f| f.projected_total.amount());
    let budget = customer.budget.as_ref().map(Money::amount);
    let unchanged = same_budget(Some(amount), budget);
    let reason: String = line
        .reason
        .as_deref()
        .unwrap_or_default()
        .chars()
        .take(MAX_REASON)
        .collect();
    Ok(PlannedItem {
        customer_id: customer.customer_id,
        customer_name: customer.company_name.clone(),
        currency: currency.clone(),
        seen_amount: customer.budget.clone(),
        new_amount: Some(Money::new(amount, currency.clone())),
        new_status: UsageStatus::classify_projected(
            customer.total_cost.amount(),
            projected,
            Some(amount),
            near_threshold,
        ),
        skip_reason: unchanged.then(|| "unchanged: the budget is already that".to_owned()),
        reason: (!reason.is_empty()).then_some(reason),
    })
}

/// The owner assignments of an uploaded file, `customer,owner` a line (the customer by id or
/// exact name, the owner by sign-in name), against the customers of `view`.
///
/// # Errors
/// [`UploadError::File`] for a file that is not CSV text or is empty,
/// [`UploadError::Lines`] with every bad line: an unknown or ambiguous customer, a name
/// that is not a sign-in name, the same assignment on two lines.
pub fn plan_owner_file<'a>(
    bytes: &[u8],
    view: &'a DashboardView,
) -> Result<Vec<(&'a CustomerSnapshot, SignInName)>, UploadError> {
    let mut seen: HashMap<(CustomerId, SignInName), u64> = HashMap::new();
    plan_lines(bytes, view, |line, record, customers| {
        let (Some(customer), Some(owner), 2) = (record.get(0), record.get(1), record.len()) else {
            return Err(
                "expected customer id or exact name, then the owner's sign-in name, separated by a comma.".into(),
            );
        };
        let customer = customers.resolve(customer)?;
        let owner = SignInName::parse(owner).map_err(|e| format!("{e}."))?;
        if let Some(first) = seen.insert((customer.customer_id, owner.clone()), line) {
            return Err(format!("the same as line {first}."));
        }
        Ok((customer, owner))
    })
}

/// A line of a file: its number and its fields.
type NumberedRecord = (u64, csv::StringRecord);

/// The non-empty lines of a CSV text file with their numbers (an optional header line, whose
/// first field is `customer`, `customer id`, `customer_id` or `name`, left out), and the
/// lines that are not CSV.
///
/// # Errors
/// [`UploadError::File`] when the file is not UTF-8 text or has no line.
fn records(bytes: &[u8]) -> Result<(Vec<NumberedRecord>, Vec<String>), UploadError> {
    let text = utf8_text(bytes)?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut records = Vec::new();
    let mut errors = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let line = record
            .as_ref()
            .ok()
            .and_then(|r| r.position())
            .map_or(index as u64 + 1, csv::Position::line);
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                errors.push(format!("Line {line}: not CSV ({e})."));
                continue;
            }
        };
        if record.iter().all(str::is_empty) {
            continue;
        }
        if index == 0 && is_header(&record) {
            continue;
        }
        records.push((line, record));
    }
    if records.is_empty() && errors.is_empty() {
        return Err(UploadError::File(
            "The file has no lines to apply: write one customer a line.".into(),
        ));
    }
    Ok((records, errors))
}

/// The file's text, without a byte order mark.
///
/// # Errors
/// [`UploadError::File`] when it is not UTF-8.
fn utf8_text(bytes: &[u8]) -> Result<&str, UploadError> {
    let text = std::str::from_utf8(bytes).map_err(|_| {
        UploadError::File(
            "The file is not a CSV text file (it is not UTF-8 text). Save it as \"CSV UTF-8\" and upload it again.".into(),
        )
    })?;
    Ok(text.strip_prefix('\u{feff}').unwrap_or(text))
}

/// Whether a first line is a header: its first field is `customer`, `customer id`,
/// `customer_id` or `name`.
fn is_header(record: &csv::StringRecord) -> bool {
    let first = record.get(0).unwrap_or_default().to_lowercase();
    ["customer", "customer id", "customer_id", "name"].contains(&first.as_str())
}

/// The customers of `view` by exact name (several may share one).
fn names(view: &DashboardView) -> HashMap<&str, Vec<&CustomerSnapshot>> {
    let mut by_name: HashMap<&str, Vec<&CustomerSnapshot>> = HashMap::new();
    for customer in view.customers() {
        by_name
            .entry(customer.company_name.as_str())
            .or_default()
            .push(customer);
    }
    by_name
}
