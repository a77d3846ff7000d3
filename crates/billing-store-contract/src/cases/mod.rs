//! The contract cases, one module per port area. Each case takes a fresh [`crate::Harness`]
//! and panics on a broken promise; its message names the backend where that helps.

pub mod accounts;
pub mod billing;
pub mod catalog;
pub mod concurrency;
pub mod emails;
pub mod flow;
pub mod gateway_events;
pub mod holds;
pub mod keys;
pub mod ledger;
pub mod ledger_reads;
pub mod lots;
pub mod misc;
pub mod payment_changes;
pub mod payments;
pub mod plans;
pub mod portal;
pub mod refund_flow;
pub mod subscription_claims;
pub mod subscriptions;
pub mod tax_rates;
