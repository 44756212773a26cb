//! The sandbox's shared state: the generated data, the budgets as changed through the API, the
//! clock, the usage book cached per sandbox day, and the control-plane settings.

use std::sync::{Arc, Mutex, RwLock};

use rust_decimal::Decimal;
use uuid::Uuid;

use crate::clock::SandboxClock;
use crate::control::faults::FaultBoard;
use crate::control::requests::RequestLog;
use crate::control::throttle::ThrottleGate;
use crate::data::Dataset;
use crate::data::usage::UsageBook;
use crate::options::Throttle;

/// Everything the Partner Center and control routes share.
#[derive(Debug)]
pub struct SandboxState {
    pub data: Dataset,
    pub clock: SandboxClock,
    pub faults: FaultBoard,
    pub throttle: ThrottleGate,
    pub requests: RequestLog,
    /// Number of meters on the Azure rate card.
    pub rate_card_meters: usize,
    budgets: RwLock<Vec<Option<Decimal>>>,
    budget_changes: Mutex<Vec<AppliedBudgetChange>>,
    book: Mutex<Option<Arc<UsageBook>>>,
    initial_throttle: Option<Throttle>,
}

impl SandboxState {
    /// State over freshly generated data and its usage book for the clock's today.
    pub fn new(
        data: Dataset,
        book: UsageBook,
        clock: SandboxClock,
        throttle: Option<Throttle>,
        rate_card_meters: usize,
    ) -> Self {
        let budgets = data.customers.iter().map(|c| c.initial_budget).collect();
        Self {
            data,
            clock,
            faults: FaultBoard::default(),
            throttle: ThrottleGate::new(throttle),
            requests: RequestLog::default(),
            rate_card_meters,
            budgets: RwLock::new(budgets),
            budget_changes: Mutex::default(),
            book: Mutex::new(Some(Arc::new(book))),
            initial_throttle: throttle,
        }
    }

    /// The partner's tenant id.
    pub fn partner_tenant(&self) -> Uuid {
        self.data.partner_tenant
    }

    /// Period-to-date usage as of the sandbox's today, computed once per sandbox day.
    pub fn usage(&self) -> Arc<UsageBook> {
        let today = self.clock.today();
        let mut cached = self.book.lock().unwrap_or_else(|e| e.into_inner());
        match cached.as_ref() {
            Some(book) if book.today == today => Arc::clone(book),
            _ => {
                let book = Arc::new(UsageBook::compute(&self.data, today));
                *cached = Some(Arc::clone(&book));
                book
            }
        }
    }

    /// A customer's current budget (`None` = no budget), in its currency.
    pub fn budget(&self, customer: usize) -> Option<Decimal> {
        self.budgets.read().unwrap_or_else(|e| e.into_inner())[customer]
    }

    /// Every customer's current budget, by customer index.
    pub fn budgets(&self) -> Vec<Option<Decimal>> {
        self.budgets
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Sets or clears a customer's budget.
    pub fn set_budget(&self, customer: usize, amount: Option<Decimal>) {
        self.budgets.write().unwrap_or_else(|e| e.into_inner())[customer] = amount;
    }

    /// Sets or clears a customer's budget as a PATCH does, and logs the change with the
    /// request's `MS-RequestId`.
    pub fn apply_budget_change(&self, customer: usize, amount: Option<Decimal>, request_id: &str) {
        let mut changes = self
            .budget_changes
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        self.set_budget(customer, amount);
        changes.push(AppliedBudgetChange {
            customer_id: self.data.customers[customer].id,
            amount,
            request_id: request_id.to_owned(),
            at: self.clock.now().to_rfc3339(),
        });
    }

    /// Every budget change applied through the API since the start (or the last reset), in
    /// order.
    pub fn budget_changes(&self) -> Vec<AppliedBudgetChange> {
        self.budget_changes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Puts budgets, faults, throttling, the clock, the request log and the log of budget
    /// changes back to the start.
    pub fn reset(&self) {
        let initial = self
            .data
            .customers
            .iter()
            .map(|c| c.initial_budget)
            .collect();
        *self.budgets.write().unwrap_or_else(|e| e.into_inner()) = initial;
        self.faults.clear();
        self.throttle.set(self.initial_throttle);
        self.clock.reset();
        self.requests.clear();
        self.budget_changes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }
}

/// A budget change the PATCH route applied, as `GET /_sandbox/budget-changes` lists it.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppliedBudgetChange {
    pub customer_id: Uuid,
    /// The new budget (`null` = removed), exact, as a string.
    #[serde(with = "rust_decimal::serde::str_option")]
    pub amount: Option<Decimal>,
    /// The `MS-RequestId` the PATCH carried (empty when none was sent).
    pub request_id: String,
    /// The sandbox clock's time of the change.
    pub at: String,
}
