//! partner-center-sandbox: an emulator of Entra ID sign-in and the Partner Center usage and
//! budget API, served over real HTTP for Spendboard's demo mode and tests.

pub mod identity;
