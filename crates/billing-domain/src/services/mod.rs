//! Use cases. Each service checks the caller's scope and tenancy, parses raw input into
//! domain types (errors name the field), applies the rules and makes one atomic store call.
//!
//! HTTP handlers and embedding Rust services call these; nothing here knows about HTTP.

pub mod accounts;
pub mod api_keys;
pub mod audit_log;
mod catalog;
pub mod credit_lots;
pub mod credit_packages;
pub mod credits;
pub mod gateway_events;
pub mod gateway_outcomes;
pub mod input;
pub mod invoice_documents;
pub mod invoices;
pub mod manual_payments;
pub mod notifications;
pub mod payment_context;
pub mod payment_events;
pub mod payment_method_config_input;
pub mod payment_method_configs;
pub mod payment_method_resolver;
pub mod payments;
pub mod plans;
pub mod portal_sessions;
pub mod purchases;
pub mod refund_outcomes;
pub mod refunds;
pub mod reservations;
pub mod settlement;
pub mod subscriptions;
pub mod tax_rates;

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::entities::PaymentMethodKind;
use crate::ports::{Clock, Repositories};

pub use accounts::AccountService;
pub use api_keys::ApiKeyService;
pub use audit_log::AuditLogService;
pub use credit_lots::CreditLotService;
pub use credit_packages::CreditPackageService;
pub use credits::CreditService;
pub use invoice_documents::{InvoiceDocumentService, InvoicePdf};
pub use payment_context::{GatewayRegistry, PaymentDeps, PaymentSettings};
pub use payment_method_configs::PaymentMethodConfigService;
pub use payment_method_resolver::{ExclusionReason, MethodDecision};
pub use plans::PlanService;
pub use portal_sessions::{PortalSessionService, PortalSettings};
pub use reservations::ReservationService;

/// The payment use cases: invoices, purchases, manual approvals, refunds, payment reads.
#[derive(Clone)]
pub struct PaymentServices {
    /// Invoices.
    pub invoices: invoices::InvoiceService,
    /// Purchases and paying invoices.
    pub purchases: purchases::PurchaseService,
    /// Manual payment workflow.
    pub manual: manual_payments::ManualPaymentService,
    /// Refunds.
    pub refunds: refunds::RefundService,
    /// Payment reads.
    pub payments: payments::PaymentQueryService,
    /// Subscriptions, their scheduler and the test clock.
    pub subscriptions: subscriptions::SubscriptionService,
    /// Gateway webhooks, PayPal returns and the uncertain-outcome janitor. Webhooks need a
    /// webhook event store: wire one with [`PaymentServices::with_webhook_events`].
    pub events: gateway_events::GatewayEventService,
}

impl PaymentServices {
    /// Wires the payment use cases onto the core `services`.
    pub fn new(
        services: &Services,
        flow: Arc<dyn crate::ports::PaymentFlowRepository>,
        gateways: GatewayRegistry,
        settings: PaymentSettings,
    ) -> Self {
        let deps = PaymentDeps {
            repos: services.repos.clone(),
            flow,
            clock: services.clock.clone(),
            gateways,
            settings,
        };
        let purchases = purchases::PurchaseService::new(
            deps.clone(),
            services.packages.clone(),
            services.payment_methods.clone(),
        );
        Self {
            invoices: invoices::InvoiceService::new(deps.clone()),
            subscriptions: subscriptions::SubscriptionService::new(deps.clone(), purchases.clone()),
            purchases,
            manual: manual_payments::ManualPaymentService::new(deps.clone()),
            refunds: refunds::RefundService::new(deps.clone()),
            events: gateway_events::GatewayEventService::new(deps.clone(), None),
            payments: payments::PaymentQueryService::new(deps),
        }
    }

    /// The same services, with `webhooks` storing gateway webhook events (required by
    /// [`gateway_events::GatewayEventService::handle_webhook`]).
    #[must_use]
    pub fn with_webhook_events(
        mut self,
        webhooks: Arc<dyn crate::ports::WebhookEventRepository>,
    ) -> Self {
        self.events =
            gateway_events::GatewayEventService::new(self.events.deps().clone(), Some(webhooks));
        self
    }
}

/// Which payment gateways this deployment can actually use, and why the others cannot.
/// Manual methods need no gateway; Stripe and PayPal need credentials.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GatewayAvailability {
    unavailable: BTreeMap<PaymentMethodKind, String>,
}

impl GatewayAvailability {
    /// Every method usable.
    pub fn all() -> Self {
        Self::default()
    }

    /// Marks `method` unusable, with the reason shown by the resolver.
    #[must_use]
    pub fn without(mut self, method: PaymentMethodKind, reason: impl Into<String>) -> Self {
        self.unavailable.insert(method, reason.into());
        self
    }

    /// `None` if usable, else why not.
    pub fn reason_unavailable(&self, method: PaymentMethodKind) -> Option<&str> {
        self.unavailable.get(&method).map(String::as_str)
    }
}

/// Every use case, wired to one set of repositories.
#[derive(Clone)]
pub struct Services {
    /// Accounts and billing profiles.
    pub accounts: AccountService,
    /// Credit packages.
    pub packages: CreditPackageService,
    /// Subscription plans.
    pub plans: PlanService,
    /// Payment method configs and the per-account resolver.
    pub payment_methods: PaymentMethodConfigService,
    /// API keys and authentication.
    pub api_keys: ApiKeyService,
    /// Balances, debits, adjustments, ledger, verification.
    pub credits: CreditService,
    /// Credit lots: the balance by lot, allocations, lot expiry.
    pub lots: CreditLotService,
    /// Holds for long operations.
    pub reservations: ReservationService,
    /// The audit log.
    pub audit: AuditLogService,
    /// The store's repositories, for adapters that need a port directly (health checks).
    pub repos: Repositories,
    /// The clock every use case reads.
    pub clock: Arc<dyn Clock>,
}

impl Services {
    /// Wires every use case.
    pub fn new(repos: Repositories, clock: Arc<dyn Clock>, gateways: GatewayAvailability) -> Self {
        Self {
            accounts: AccountService::new(repos.clone(), clock.clone()),
            packages: CreditPackageService::new(repos.clone(), clock.clone()),
            plans: PlanService::new(repos.clone(), clock.clone()),
            payment_methods: PaymentMethodConfigService::new(
                repos.clone(),
                clock.clone(),
                gateways,
            ),
            api_keys: ApiKeyService::new(repos.clone(), clock.clone()),
            credits: CreditService::new(repos.clone(), clock.clone()),
            lots: CreditLotService::new(repos.clone(), clock.clone()),
            reservations: ReservationService::new(repos.clone(), clock.clone()),
            audit: AuditLogService::new(repos.clone()),
            repos,
            clock,
        }
    }
}
