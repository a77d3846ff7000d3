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
//! * `memory` (feature `memory`): in-process implementations of every port.

pub mod entities;
pub mod error;
#[cfg(feature = "memory")]
pub mod memory;
pub mod ports;
pub mod services;
pub mod types;

pub use error::{BillingError, BillingResult, RepoError, ValidationError};
