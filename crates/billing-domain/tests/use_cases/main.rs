//! Use-case tests of the domain's services: against mockall mocks (`mocked`, the resolver)
//! or against the in-memory store (`billing-store-memory`) with fake gateways (the rest).
//! The stores' own behaviour is the contract suite's (`billing-store-contract`).
#![allow(clippy::unwrap_used, missing_docs)]

mod prelude;

mod gateway_events;
mod gateway_janitor;
mod gateway_webhooks;
mod mocked;
mod payment_method_resolver;
mod portal_sessions;
mod refunds;
