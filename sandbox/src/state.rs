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
    budgets: RwLock<Vec<Option<Decimal>>>,
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
    ) -> Self {
        let budgets = data.customers.iter().map(|c| c.initial_budget).collect();
        Self {
            data,
            clock,
            faults: FaultBoard::default(),
            throttle: ThrottleGate::new(throttle),
            requests: RequestLog::default(),
            budgets: RwLock::new(budgets),
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

    /// Puts budgets, faults, throttling, the clock and the request log back to the start.
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
    }
}
