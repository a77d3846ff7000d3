//! # billing-domain
//!
//! The pure core of the billing platform: value types that cannot hold bad data, entities
//! with their state machines, the ports adapters implement, and the use cases.
//! No IO: no database, HTTP or async runtime in the normal dependency tree.
//!
//! * [`types`]: money, credits, currencies, countries, e-mails, tax ids, prefixed ids.
//! * [`entities`]: accounts, packages, payment method configs, invoices, payments, ledger.
//! * [`ports`]: repository and gateway traits.
//! * [`services`]: the use cases the HTTP crate (or another Rust service) calls.
//!
//! The in-memory implementation of every port is its own adapter crate,
//! `billing-store-memory`: depend on it to embed the domain or test against it.

pub mod entities;
pub mod error;
pub mod ports;
pub mod services;
pub mod types;

pub use error::{BillingError, BillingResult, RepoError, ValidationError};
