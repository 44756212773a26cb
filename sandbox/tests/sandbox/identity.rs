//! Tests of the emulated Entra ID endpoints.
