//! Ports: the traits adapters implement. Every repository method that writes is one atomic
//! call = one database transaction; no transaction ever spans a gateway call.
//!
//! With the `mock` feature each trait has a mockall `Mock…` type. The adapter crates
//! `billing-store-memory` and `billing-store-diesel` implement them all, and the contract
//! suite in `billing-store-contract` holds both to the same promises.

pub mod accounts;
pub mod api_keys;
pub mod audit;
pub mod billing;
pub mod catalog;
pub mod clock;
pub mod emails;
pub mod gateway;
pub mod hold_rules;
pub mod idempotency;
pub mod invoice_renderer;
pub mod job_leases;
pub mod ledger;
pub mod lot_rules;
pub mod mail_templates;
pub mod mailer;
pub mod outbox;
pub mod payment_flow;
pub mod plans;
pub mod portal_sessions;
pub mod subscriptions;
pub mod tax_rates;
pub mod webhooks;

use std::sync::Arc;

pub use accounts::AccountRepository;
pub use api_keys::ApiKeyRepository;
pub use audit::{AuditFilter, AuditRepository};
pub use billing::{InvoiceFilter, InvoiceRepository, PaymentFilter, PaymentRepository};
pub use catalog::{CreditPackageRepository, PaymentMethodConfigRepository};
pub use clock::{Clock, FixedClock, SystemClock, TestClock};
pub use emails::{EmailFilter, EmailRepository};
pub use gateway::{GatewayError, PaymentGateway};
pub use idempotency::IdempotencyRepository;
pub use invoice_renderer::{InvoiceRenderer, RenderError};
pub use job_leases::JobLeaseRepository;
pub use ledger::{
    DriftReport, HoldOutcome, LedgerFilter, LedgerRepository, NewHold, Posting, PostingMode,
    PostingOutcome, ReservationOutcome, SettleReservation,
};
pub use mail_templates::{DetailRow, MailContent, MailTemplates, RenderedMail, TemplateError};
pub use mailer::{MailAttachment, MailError, MailMessage, Mailer};
pub use outbox::OutboxRepository;
pub use payment_flow::{
    InvoiceChange, PaymentChange, PaymentChangeOutcome, PaymentFlowRepository, PaymentGuard,
    RefundUpdate, RetryBackoff,
};
pub use plans::PlanRepository;
pub use portal_sessions::{NewPortalSession, PortalSessionRepository};
pub use subscriptions::{
    NewInvoice, SubscriptionChange, SubscriptionChangeOutcome, SubscriptionFilter,
    SubscriptionRepository,
};
pub use tax_rates::TaxRateRepository;
pub use webhooks::{RecordOutcome, WebhookEventRepository};

use crate::error::RepoError;

/// Liveness of the store, for `/readyz`.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait::async_trait]
pub trait StoreHealth: Send + Sync {
    /// One cheap round trip to the database.
    async fn ping(&self) -> Result<(), RepoError>;
}

/// Every repository of one store, as shared trait objects. Adapters build one of these.
#[derive(Clone)]
pub struct Repositories {
    /// Accounts and billing profiles.
    pub accounts: Arc<dyn AccountRepository>,
    /// Credit packages.
    pub packages: Arc<dyn CreditPackageRepository>,
    /// Payment method configs.
    pub payment_methods: Arc<dyn PaymentMethodConfigRepository>,
    /// Subscription plans.
    pub plans: Arc<dyn PlanRepository>,
    /// Subscriptions and their periods.
    pub subscriptions: Arc<dyn SubscriptionRepository>,
    /// API keys.
    pub api_keys: Arc<dyn ApiKeyRepository>,
    /// Idempotency records.
    pub idempotency: Arc<dyn IdempotencyRepository>,
    /// The credit ledger.
    pub ledger: Arc<dyn LedgerRepository>,
    /// Invoices.
    pub invoices: Arc<dyn InvoiceRepository>,
    /// Payments and refunds.
    pub payments: Arc<dyn PaymentRepository>,
    /// Audit log.
    pub audit: Arc<dyn AuditRepository>,
    /// Outbox events.
    pub outbox: Arc<dyn OutboxRepository>,
    /// Outgoing e-mail.
    pub emails: Arc<dyn EmailRepository>,
    /// Health check.
    pub health: Arc<dyn StoreHealth>,
    /// Leases on singleton background jobs.
    pub job_leases: Arc<dyn JobLeaseRepository>,
    /// Billing-portal links and sessions.
    pub portal_sessions: Arc<dyn PortalSessionRepository>,
    /// Tax rates.
    pub tax_rates: Arc<dyn TaxRateRepository>,
}
