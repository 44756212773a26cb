//! The sandbox test binary: one module per feature.

mod identity;
