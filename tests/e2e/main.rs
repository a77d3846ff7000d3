//! End-to-end tests of the billing API over real HTTP: the real server on port 0, a real store.
//!
//! Every test runs against both stores: `sqlite::<test>` on a temporary SQLite file and
//! `postgres::<test>` on a fresh PostgreSQL database (`TEST_DATABASE_URL`, default
//! `postgres://postgres@127.0.0.1:5432/postgres`).

#![allow(missing_docs, clippy::unwrap_used)]

mod email_support;
mod plan_change_support;
mod shop;
mod stripe_stub;
mod subscription_support;
mod support;

mod accounts;
mod api_keys;
mod auth;
mod authz_matrix;
mod catalog;
mod cli;
mod concurrency;
mod contract;
mod conventions;
mod crash;
mod credit_lots;
mod credits;
mod emails;
mod emails_more;
mod gateway_paypal;
mod gateway_stripe;
mod gateways;
mod idempotency;
mod invoice_pdfs;
mod invoices;
mod local_currencies;
mod manual_payments;
mod openapi;
mod operations;
mod payment_errors;
mod payment_methods;
mod plan_changes;
mod plan_changes_card;
mod plan_changes_scheduled;
mod plans;
mod portal_links;
mod processes;
mod purchases;
mod refund_failures;
mod refunds;
mod reservations;
mod scale_out;
mod shutdown;
mod subscriptions_cancel;
mod subscriptions_manual;
mod subscriptions_paypal;
mod subscriptions_scale;
mod subscriptions_stripe;
mod subscriptions_trials;
mod tax_rates;
mod webhook_storm;
mod webhook_storm_paypal;
