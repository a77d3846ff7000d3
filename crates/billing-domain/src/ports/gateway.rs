//! The payment gateway port. Adapters translate between a gateway's wire format and these
//! types; the domain decides what an outcome means. Stripe, PayPal and the manual gateway
//! all implement it.

pub use crate::entities::NextAction;
use crate::entities::{Account, Invoice, Payment, PaymentMethodConfig, PaymentMethodKind};
use crate::types::{Currency, RefundId, SubscriptionId};

/// Why a gateway call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GatewayError {
    /// The gateway refused the operation for a reason the payer or operator can act on.
    #[error("declined: {code}: {message}")]
    Declined {
        /// The gateway's code.
        code: String,
        /// Its message.
        message: String,
    },
    /// Timeout, connection error, 429 or 5xx after retries: the outcome is unknown.
    #[error("gateway outcome unknown: {0}")]
    Uncertain(String),
    /// Credentials or configuration are wrong or missing.
    #[error("gateway misconfigured: {0}")]
    Misconfigured(String),
    /// A webhook failed verification; nothing may be stored or applied.
    #[error("webhook rejected: {0}")]
    InvalidWebhook(String),
    /// Anything else (unexpected response shape, …).
    #[error("gateway error: {0}")]
    Other(String),
}

/// Input to start a payment.
#[derive(Debug, Clone)]
pub struct StartPayment {
    /// Our payment (status pending).
    pub payment: Payment,
    /// The invoice it pays.
    pub invoice: Invoice,
    /// The payer.
    pub account: Account,
    /// The config the payer chose.
    pub config: PaymentMethodConfig,
    /// The bought credit package's Stripe price id, when one is configured (Stripe uses it
    /// instead of inline price data for an undiscounted package line).
    pub stripe_price_id: Option<String>,
    /// Keep the payer's payment method for later off-session charges (a subscription's
    /// renewals): Stripe sets `setup_future_usage=off_session`.
    pub save_payment_method: bool,
}

/// A charge of a saved payment method without the payer present (a renewal).
#[derive(Debug, Clone)]
pub struct OffSessionCharge {
    /// Our payment (status pending) for the amount due.
    pub payment: Payment,
    /// The invoice it pays.
    pub invoice: Invoice,
    /// The payer (its gateway customer id is needed).
    pub account: Account,
    /// The saved payment method (Stripe `pm_…`).
    pub payment_method: String,
    /// One key per invoice and attempt: a retried call never charges twice.
    pub idempotency_key: String,
}

/// A request to keep a payment method without charging it (a trial's card, or a new card for
/// a subscription): Stripe Checkout in `setup` mode.
#[derive(Debug, Clone)]
pub struct StartSetup {
    /// The subscription the payment method is for (echoed back by the gateway).
    pub subscription_id: SubscriptionId,
    /// The payer (its gateway customer is created once when missing).
    pub account: Account,
    /// The subscription's currency (Stripe offers the methods that accept it).
    pub currency: Currency,
    /// One key per request: a retried call opens no second session.
    pub idempotency_key: String,
}

/// What starting a setup produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartedSetup {
    /// The gateway object (Checkout Session).
    pub gateway_reference: Option<String>,
    /// Where the payer goes to give the payment method.
    pub next_action: NextAction,
    /// A customer the gateway created for the account, to be stored on the account.
    pub customer_id: Option<String>,
}

/// What starting a payment produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartedPayment {
    /// Gateway object id (Checkout Session, PayPal order), if any.
    pub gateway_reference: Option<String>,
    /// Manual payments: the payer's reference.
    pub reference: Option<String>,
    /// What the payer must do.
    pub next_action: NextAction,
    /// A customer the gateway created for the account (Stripe), to be stored on the account
    /// so it is created only once.
    pub customer_id: Option<String>,
}

/// A payment's state as the gateway reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GatewayOutcome {
    /// Still open.
    Processing,
    /// The payer approved, and the money moves once we capture (PayPal's `APPROVED` order).
    /// Treated as still open, except that the janitor then captures.
    Approved,
    /// Paid: amount received in minor units, and the gateway's payment id.
    Succeeded {
        /// Received amount.
        amount_received: i64,
        /// PaymentIntent / capture id.
        gateway_payment_id: Option<String>,
    },
    /// Declined or failed.
    Failed {
        /// Why.
        reason: String,
    },
    /// Expired or abandoned.
    Canceled,
}

/// A refund request to a gateway.
#[derive(Debug, Clone)]
pub struct GatewayRefundRequest {
    /// Our refund id (also the idempotency key).
    pub refund_id: RefundId,
    /// The payment refunded.
    pub payment: Payment,
    /// Amount in minor units.
    pub amount: i64,
    /// Why.
    pub reason: String,
}

/// A refund's state at the gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayRefund {
    /// Gateway refund id, if the gateway has one.
    pub gateway_refund_id: Option<String>,
    /// Settled already (manual refunds are; card refunds settle by webhook).
    pub settled: bool,
}

/// A verified webhook, translated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedWebhook {
    /// The gateway's event id, for deduplication.
    pub event_id: String,
    /// The gateway's event type.
    pub event_type: String,
    /// What it means for us, if anything.
    pub effect: Option<WebhookEffect>,
}

/// The domain meaning of a webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookEffect {
    /// A payment (found by our id or the gateway reference) reached an outcome.
    PaymentOutcome {
        /// Our payment id, when the gateway echoes it.
        payment_id: Option<String>,
        /// The gateway object id.
        gateway_reference: Option<String>,
        /// The outcome.
        outcome: GatewayOutcome,
    },
    /// The payer approved a payment that still has to be captured (PayPal's
    /// `CHECKOUT.ORDER.APPROVED`): the domain calls [`PaymentGateway::capture`], which is
    /// idempotent by our payment id, so a duplicate or late approval captures nothing twice.
    CaptureRequested {
        /// Our payment id, when the gateway echoes it.
        payment_id: Option<String>,
        /// The gateway object id (the PayPal order).
        gateway_reference: Option<String>,
    },
    /// A refund settled or failed.
    RefundOutcome {
        /// Our refund id, when echoed.
        refund_id: Option<String>,
        /// The gateway refund id.
        gateway_refund_id: Option<String>,
        /// Settled (true) or failed (false).
        succeeded: bool,
        /// The refunded payment's gateway id (PaymentIntent, PayPal capture), when the event
        /// names it: lets a refund made outside this service (in the gateway's dashboard, or
        /// PayPal's own reversal) be recorded.
        gateway_payment_id: Option<String>,
        /// The refunded amount in minor units, when the event says.
        amount: Option<i64>,
    },
    /// The payer gave a payment method for a subscription (Stripe's setup session completed,
    /// or its SetupIntent succeeded). When the event does not carry the method itself the
    /// domain asks [`PaymentGateway::saved_for_subscription`].
    PaymentMethodSaved {
        /// Our subscription id, echoed in the gateway object's metadata.
        subscription_id: String,
        /// The gateway's id of the method (`pm_…`), when the event carries it.
        gateway_payment_method: Option<String>,
        /// The gateway customer it belongs to, when the event says.
        customer: Option<String>,
    },
    /// A saved payment method can no longer be charged (Stripe `payment_method.detached`,
    /// PayPal's vault token deleted): subscriptions using it fall back to sent invoices.
    PaymentMethodRemoved {
        /// The gateway's id of it (`pm_…`).
        gateway_payment_method: String,
    },
}

/// What a gateway can do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GatewayCapabilities {
    /// Partial refunds through the gateway.
    pub partial_refunds: bool,
    /// Needs an explicit capture after approval (PayPal).
    pub needs_capture: bool,
    /// Needs an operator's approval (manual methods).
    pub needs_approval: bool,
    /// Opens a session where the payer gives a payment method without paying
    /// ([`PaymentGateway::start_setup`]; Stripe Checkout `mode=setup`).
    pub setup_sessions: bool,
}

/// One payment gateway.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait::async_trait]
pub trait PaymentGateway: Send + Sync {
    /// The methods this gateway serves.
    fn methods(&self) -> Vec<PaymentMethodKind>;
    /// What it can do.
    fn capabilities(&self) -> GatewayCapabilities;
    /// Starts a payment; idempotent by our payment id.
    async fn start(&self, request: &StartPayment) -> Result<StartedPayment, GatewayError>;
    /// Captures an approved payment (PayPal); idempotent by our payment id.
    async fn capture(&self, payment: &Payment) -> Result<GatewayOutcome, GatewayError>;
    /// Refunds all or part of a payment; idempotent by the refund id.
    async fn refund(&self, request: &GatewayRefundRequest) -> Result<GatewayRefund, GatewayError>;
    /// Reads the payment's state back from the gateway.
    async fn fetch_status(&self, payment: &Payment) -> Result<GatewayOutcome, GatewayError>;
    /// Verifies a webhook's signature over the raw body and translates it.
    async fn verify_webhook(
        &self,
        headers: &[(String, String)],
        body: &[u8],
    ) -> Result<VerifiedWebhook, GatewayError>;
    /// Charges a saved payment method off-session, idempotent by `idempotency_key`. A
    /// decline is `Declined` with the gateway's code (see
    /// [`crate::entities::subscription_schedule::stops_retries`]).
    async fn charge_saved(
        &self,
        request: &OffSessionCharge,
    ) -> Result<GatewayOutcome, GatewayError> {
        let _ = request;
        Err(GatewayError::Misconfigured(
            "this gateway cannot charge a saved payment method".to_owned(),
        ))
    }
    /// Opens a session where the payer gives a payment method for later off-session charges,
    /// without paying now (Stripe Checkout `mode=setup`).
    async fn start_setup(&self, request: &StartSetup) -> Result<StartedSetup, GatewayError> {
        let _ = request;
        Err(GatewayError::Misconfigured(
            "this gateway cannot keep a payment method without a payment".to_owned(),
        ))
    }
    /// The newest payment method the payer gave for `subscription_id` through
    /// [`Self::start_setup`], read back from the gateway (a lost webhook, or an event that
    /// does not carry it). `None` when none was given.
    async fn saved_for_subscription(
        &self,
        account: &Account,
        subscription_id: &str,
    ) -> Result<Option<String>, GatewayError> {
        let _ = (account, subscription_id);
        Ok(None)
    }
    /// The payment method a succeeded payment saved for later (Stripe `pm_…`), if any.
    async fn saved_payment_method(
        &self,
        payment: &Payment,
    ) -> Result<Option<String>, GatewayError> {
        let _ = payment;
        Ok(None)
    }
}
