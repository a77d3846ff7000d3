//! Stripe adapter for the billing domain's [`PaymentGateway`] port.
//!
//! - **start**: creates the account's Stripe customer once (idempotency key from our account
//!   id; its id is returned in [`StartedPayment::customer_id`] to be stored on the account),
//!   then a Checkout Session in `payment` mode for the invoice (idempotency key from our
//!   payment id) and answers with its URL as the next action.
//! - **fetch_status** / **capture**: re-read the session and its PaymentIntent.
//! - **refund**: the Refund API by PaymentIntent, keyed by our refund id; settles by webhook.
//! - **charge_saved**: a subscription renewal, an off-session PaymentIntent on the kept card.
//! - **start_setup** / **saved_for_subscription**: a Checkout Session in `setup` mode keeps a
//!   card without a charge (a trial), and the card is read back from the customer's
//!   completed setup sessions when no webhook said it.
//! - **verify_webhook**: `Stripe-Signature` checked over the raw body with every configured
//!   secret and a 300 s tolerance against the injected [`Clock`], then the event is mapped to
//!   a [`WebhookEffect`](billing_domain::ports::gateway::WebhookEffect).
//!
//! Every write carries an idempotency key derived from our ids and is retried on 409, 429 and
//! 5xx with that same key; a timeout, a broken connection or retries used up give
//! [`GatewayError::Uncertain`], which the domain resolves later with `fetch_status`.

mod checkout;
mod client;
pub mod config;
pub mod events;
mod off_session;
mod setup;
pub mod signature;

use std::collections::HashMap;
use std::sync::Arc;

use billing_domain::entities::{Account, Payment, PaymentMethodKind};
use billing_domain::ports::gateway::{
    GatewayCapabilities, GatewayError, GatewayOutcome, GatewayRefund, GatewayRefundRequest,
    NextAction, OffSessionCharge, PaymentGateway, StartPayment, StartSetup, StartedPayment,
    StartedSetup, VerifiedWebhook,
};
use billing_domain::ports::{Clock, SystemClock};
use stripe_checkout::checkout_session::{ListCheckoutSession, RetrieveCheckoutSession};
use stripe_core::payment_intent::{RetrievePaymentIntent, SearchPaymentIntent};
use stripe_core::refund::CreateRefund;

pub use checkout::{customer_key, session_key};
pub use config::{DEFAULT_API_BASE, StripeConfig, WEBHOOK_TOLERANCE_SECS};
pub use signature::{SignatureError, sign_webhook, verify_signature};

use crate::client::Api;
use crate::events::{META_PAYMENT_ID, META_REFUND_ID};

/// How far Stripe's search may trail its writes ("less than a minute" under normal
/// operation; longer during an incident), with a wide margin: a payment younger than this is
/// not concluded on from a search.
pub const SEARCH_LAG: time::Duration = time::Duration::hours(1);

/// The Stripe gateway.
#[derive(Clone)]
pub struct StripeGateway {
    config: StripeConfig,
    api: Api,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for StripeGateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StripeGateway")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl StripeGateway {
    /// A gateway on the system clock. Fails only on an unusable key or base URL.
    pub fn new(config: StripeConfig) -> Result<Self, GatewayError> {
        Self::with_clock(config, Arc::new(SystemClock))
    }

    /// A gateway whose webhook timestamp check uses `clock`.
    pub fn with_clock(config: StripeConfig, clock: Arc<dyn Clock>) -> Result<Self, GatewayError> {
        if config.secret_key.trim().is_empty() {
            return Err(GatewayError::Misconfigured(
                "no Stripe secret key".to_owned(),
            ));
        }
        let api = Api::new(&config)?;
        Ok(Self { config, api, clock })
    }

    /// The configuration (its `Debug` hides secrets).
    pub fn config(&self) -> &StripeConfig {
        &self.config
    }

    async fn session(
        &self,
        session_id: &str,
    ) -> Result<stripe_shared::CheckoutSession, GatewayError> {
        let req =
            RetrieveCheckoutSession::new(session_id).expand(vec!["payment_intent".to_owned()]);
        self.api.send("retrieve checkout session", &req, None).await
    }

    /// The PaymentIntent carrying `payment`'s id in its metadata, if any. Stripe's search
    /// trails writes by up to a minute, so "none" is only believed for a payment older than
    /// [`SEARCH_LAG`]; before that the answer stays uncertain.
    async fn search_charge(&self, payment: &Payment) -> Result<GatewayOutcome, GatewayError> {
        let query = format!("metadata['{META_PAYMENT_ID}']:'{}'", payment.id);
        let found = self
            .api
            .send(
                "search payment intents",
                &SearchPaymentIntent::new(query).limit(1),
                None,
            )
            .await?;
        match found.data.first() {
            Some(intent) => match off_session::outcome(intent) {
                Err(GatewayError::Declined { message, .. }) => {
                    Ok(GatewayOutcome::Failed { reason: message })
                }
                other => other,
            },
            None if self.clock.now() - payment.created_at < SEARCH_LAG => Err(
                GatewayError::Uncertain("Stripe's search may not list the charge yet".to_owned()),
            ),
            None => Ok(GatewayOutcome::Canceled),
        }
    }

    /// The account's customer, created once (keyed by our account id) when missing; `true`
    /// when it was created now and must be stored on the account.
    async fn customer_for(&self, account: &Account) -> Result<(String, bool), GatewayError> {
        if let Some(existing) = account
            .stripe_customer_id
            .as_deref()
            .filter(|c| !c.is_empty())
        {
            return Ok((existing.to_owned(), false));
        }
        let req = checkout::customer_request(account);
        let customer = self
            .api
            .send("create customer", &req, Some(&customer_key(account)))
            .await?;
        Ok((customer.id.to_string(), true))
    }

    async fn intent(&self, id: &str) -> Result<stripe_shared::PaymentIntent, GatewayError> {
        self.api
            .send(
                "retrieve payment intent",
                &RetrievePaymentIntent::new(id),
                None,
            )
            .await
    }
}

#[async_trait::async_trait]
impl PaymentGateway for StripeGateway {
    fn methods(&self) -> Vec<PaymentMethodKind> {
        vec![PaymentMethodKind::Stripe]
    }

    fn capabilities(&self) -> GatewayCapabilities {
        GatewayCapabilities {
            partial_refunds: true,
            needs_capture: false,
            needs_approval: false,
            setup_sessions: true,
        }
    }

    async fn start(&self, request: &StartPayment) -> Result<StartedPayment, GatewayError> {
        let (customer, created) = self.customer_for(&request.account).await?;
        let req = checkout::session_request(&self.config, request, &customer);
        let session = self
            .api
            .send(
                "create checkout session",
                &req,
                Some(&session_key(&request.payment)),
            )
            .await?;
        let url = session.url.clone().ok_or_else(|| {
            GatewayError::Other(format!("Checkout Session {} has no URL", session.id))
        })?;
        Ok(StartedPayment {
            gateway_reference: Some(session.id.to_string()),
            reference: None,
            next_action: NextAction::RedirectToUrl { url },
            customer_id: created.then_some(customer),
        })
    }

    async fn capture(&self, payment: &Payment) -> Result<GatewayOutcome, GatewayError> {
        // Checkout captures by itself; "capturing" is reading the outcome.
        self.fetch_status(payment).await
    }

    async fn refund(&self, request: &GatewayRefundRequest) -> Result<GatewayRefund, GatewayError> {
        let intent = match request.payment.gateway_payment_id.clone() {
            Some(pi) => pi,
            None => {
                let session_id = request
                    .payment
                    .gateway_reference
                    .as_deref()
                    .ok_or_else(|| {
                        GatewayError::Other("the payment has no Stripe Checkout Session".to_owned())
                    })?;
                let session = self.session(session_id).await?;
                session
                    .payment_intent
                    .map(|p| p.id().to_string())
                    .ok_or_else(|| {
                        GatewayError::Other(format!(
                            "Checkout Session {session_id} has no PaymentIntent to refund"
                        ))
                    })?
            }
        };
        let mut metadata = HashMap::new();
        metadata.insert(META_REFUND_ID.to_owned(), request.refund_id.to_string());
        metadata.insert(META_PAYMENT_ID.to_owned(), request.payment.id.to_string());
        if !request.reason.is_empty() {
            metadata.insert(
                "reason".to_owned(),
                request.reason.chars().take(500).collect(),
            );
        }
        let req = CreateRefund::new()
            .payment_intent(intent)
            .amount(request.amount)
            .metadata(metadata);
        let refund = self
            .api
            .send("create refund", &req, Some(request.refund_id.as_str()))
            .await?;
        if matches!(refund.status.as_deref(), Some("failed" | "canceled")) {
            return Err(GatewayError::Declined {
                code: "refund_failed".to_owned(),
                message: format!(
                    "Stripe refund {} is {}",
                    refund.id,
                    refund.status.unwrap_or_default()
                ),
            });
        }
        // Even a refund answered `succeeded` is settled by its webhook, like every other.
        Ok(GatewayRefund {
            gateway_refund_id: Some(refund.id.to_string()),
            settled: false,
        })
    }

    async fn charge_saved(
        &self,
        request: &OffSessionCharge,
    ) -> Result<GatewayOutcome, GatewayError> {
        let customer = request
            .account
            .stripe_customer_id
            .as_deref()
            .filter(|c| !c.is_empty())
            .ok_or_else(|| GatewayError::Declined {
                code: "no_payment_method".to_owned(),
                message: "the account has no Stripe customer".to_owned(),
            })?;
        let req = off_session::charge_request(request, customer);
        let intent = self
            .api
            .send(
                "create payment intent",
                &req,
                Some(&request.idempotency_key),
            )
            .await?;
        off_session::outcome(&intent)
    }

    async fn start_setup(&self, request: &StartSetup) -> Result<StartedSetup, GatewayError> {
        let (customer, created) = self.customer_for(&request.account).await?;
        let req = setup::session_request(&self.config, request, &customer);
        let session = self
            .api
            .send("create setup session", &req, Some(&request.idempotency_key))
            .await?;
        let url = session.url.clone().ok_or_else(|| {
            GatewayError::Other(format!("Checkout Session {} has no URL", session.id))
        })?;
        Ok(StartedSetup {
            gateway_reference: Some(session.id.to_string()),
            next_action: NextAction::RedirectToUrl { url },
            customer_id: created.then_some(customer),
        })
    }

    async fn saved_for_subscription(
        &self,
        account: &Account,
        subscription_id: &str,
    ) -> Result<Option<String>, GatewayError> {
        let Some(customer) = account
            .stripe_customer_id
            .as_deref()
            .filter(|c| !c.is_empty())
        else {
            return Ok(None);
        };
        // The customer's newest sessions; a setup is made shortly before it is looked for.
        let req = ListCheckoutSession::new()
            .customer(customer)
            .limit(100)
            .expand(vec!["data.setup_intent".to_owned()]);
        let sessions = self.api.send("list checkout sessions", &req, None).await?;
        Ok(setup::saved_card(&sessions.data, subscription_id))
    }

    async fn saved_payment_method(
        &self,
        payment: &Payment,
    ) -> Result<Option<String>, GatewayError> {
        let intent = match payment.gateway_payment_id.as_deref() {
            Some(pi) if pi.starts_with("pi_") => Some(self.intent(pi).await?),
            _ => match payment.gateway_reference.as_deref() {
                Some(session) => self
                    .session(session)
                    .await?
                    .payment_intent
                    .and_then(|p| p.into_object()),
                None => None,
            },
        };
        Ok(intent
            .and_then(|i| i.payment_method)
            .map(|m| m.id().to_string()))
    }

    async fn fetch_status(&self, payment: &Payment) -> Result<GatewayOutcome, GatewayError> {
        // An off-session renewal charge: its PaymentIntent says.
        if let Some(pi) = payment
            .gateway_payment_id
            .as_deref()
            .filter(|p| p.starts_with("pi_"))
            && payment.gateway_reference.is_none()
        {
            return match off_session::outcome(&self.intent(pi).await?) {
                Err(GatewayError::Declined { message, .. }) => {
                    Ok(GatewayOutcome::Failed { reason: message })
                }
                other => other,
            };
        }
        match payment.gateway_reference.as_deref() {
            Some(session_id) => checkout::outcome(&self.session(session_id).await?),
            // No session: a Checkout whose creation never answered (its URL never reached the
            // payer, so no PaymentIntent exists) or an off-session renewal charge whose answer
            // was lost. Search finds the charge's PaymentIntent by our payment id.
            None => self.search_charge(payment).await,
        }
    }

    async fn verify_webhook(
        &self,
        headers: &[(String, String)],
        body: &[u8],
    ) -> Result<VerifiedWebhook, GatewayError> {
        let header = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("stripe-signature"))
            .map(|(_, v)| v.as_str());
        if self.config.webhook_secrets.is_empty() {
            return Err(GatewayError::Misconfigured(
                "no Stripe webhook secret configured".to_owned(),
            ));
        }
        let now = self.clock.now().unix_timestamp();
        verify_signature(
            header,
            body,
            &self.config.webhook_secrets,
            now,
            WEBHOOK_TOLERANCE_SECS,
        )
        .map_err(|e| GatewayError::InvalidWebhook(e.to_string()))?;
        events::translate(body)
    }
}
