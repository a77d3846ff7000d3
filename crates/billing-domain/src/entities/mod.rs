//! Entities and their rules.

pub mod account;
pub mod api_key;
pub mod audit;
pub mod credit_lot;
pub mod credit_package;
pub mod idempotency;
pub mod invoice;
pub mod invoice_document;
pub mod ledger;
pub mod metadata;
pub mod outbox;
pub mod outgoing_email;
pub mod payment;
pub mod payment_method;
pub mod plan;
pub mod plan_change;
pub mod portal;
pub mod principal;
pub mod proration;
pub mod subscription;
pub mod subscription_period;
pub mod subscription_schedule;
pub mod tax;
pub mod tax_amounts;

pub use account::{Account, BillingProfile};
pub use api_key::{ApiKey, ApiKeyScope, NewApiKeySecret};
pub use audit::AuditEntry;
pub use credit_lot::{
    CreditLot, LotAllocation, LotRollover, LotSource, RolloverInput, RolloverPolicy,
};
pub use credit_package::CreditPackage;
pub use idempotency::{IdempotencyBegin, IdempotencyRecord};
pub use invoice::{Invoice, InvoiceLine, InvoiceLineKind, InvoiceReason, InvoiceStatus};
pub use invoice_document::{InvoiceDocument, Seller};
pub use ledger::{CreditBalance, LedgerEntry, LedgerKind, Reservation, ReservationStatus};
pub use metadata::Metadata;
pub use outbox::OutboxEvent;
pub use outgoing_email::{AttemptOutcome, EmailAttempt, EmailKind, EmailStatus, OutgoingEmail};
pub use payment::{
    NextAction, Payment, PaymentConfirmation, PaymentStatus, ProofFile, Refund, RefundStatus,
    StatusChange,
};
pub use payment_method::{
    AmountLimit, BankDetails, PaymentMethodConfig, PaymentMethodKind, WalletDetails,
};
pub use plan::{DunningPolicy, FinalAction, Plan};
pub use plan_change::{BilledSpan, PendingChange, PendingUpgrade, ScheduledChange};
pub use portal::{PortalFlow, PortalLink, PortalSecret, PortalSession};
pub use principal::Principal;
pub use subscription::{CollectionMethod, Subscription, SubscriptionStatus};
pub use subscription_period::SubscriptionPeriod;
pub use tax::{SellerTax, TaxBuyer, TaxDecision, TaxRate, TaxTreatment};
pub mod webhook_event;
pub use webhook_event::WebhookEvent;
