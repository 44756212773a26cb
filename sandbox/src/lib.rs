//! partner-center-sandbox: an emulator of Entra ID sign-in and the Partner Center usage and
//! budget API, served over real HTTP for Spendboard's demo mode and tests.
//!
//! [`start`] serves it on a listener the caller bound (port 0 works) and returns at once:
//!
//! - `/{tenant}/...`: the emulated Entra ID v2.0 endpoints ([`identity`]);
//! - `/v1/...`: the Partner Center routes of docs/partner-center.md, over deterministic generated data;
//! - `/_sandbox/...`: the control API (faults, throttling, request log, clock, reset).

mod auth;
mod cli;
mod clock;
mod control;
mod data;
mod gateway;
pub mod identity;
mod options;
mod random;
mod routes;
mod server;
mod state;
mod wire;

pub use cli::SandboxArgs;
pub use options::{SandboxOptions, Throttle, ThrottleScope};
pub use server::{RunningSandbox, start};
