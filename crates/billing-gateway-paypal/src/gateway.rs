//! [`PayPalGateway`]: the domain's [`PaymentGateway`] port over PayPal REST.

use std::sync::Arc;

use async_trait::async_trait;
use billing_domain::entities::{Payment, PaymentMethodKind};
use billing_domain::ports::gateway::{
    GatewayCapabilities, GatewayOutcome, GatewayRefund, GatewayRefundRequest, NextAction,
    OffSessionCharge, StartPayment, StartedPayment, VerifiedWebhook,
};
use billing_domain::ports::{Clock, GatewayError, PaymentGateway, SystemClock};
use reqwest::Method;
use serde_json::json;

use crate::amount::to_paypal;
use crate::client::{Api, CallError};
use crate::config::{PayPalConfig, VerifyMode};
use crate::orders::{capture_request_id, clip, order_body, order_request_id};
use crate::webhook::{CertFetcher, HttpsCertFetcher, LocalVerifier};
use crate::wire::{Capture, Order, Refund, safe_id};

/// Capture errors after which the order is read back instead of failing: someone (a
/// webhook, the return page, the janitor) already captured it.
const ALREADY_CAPTURED: [&str; 2] = ["ORDER_ALREADY_CAPTURED", "DUPLICATE_REQUEST_ID"];

/// How long a payment whose order PayPal never named to us may still turn out paid: its
/// capture event (which carries our payment id) is retried by PayPal for up to three days.
/// A vaulted renewal whose answer was lost is only known from that event.
pub const LOST_ORDER_HORIZON: time::Duration = time::Duration::days(3);

/// The PayPal gateway. Cheap to share as `Arc<dyn PaymentGateway>`.
pub struct PayPalGateway {
    pub(crate) api: Arc<Api>,
    pub(crate) local: LocalVerifier,
}

impl std::fmt::Debug for PayPalGateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PayPalGateway")
            .field("config", &self.api.config)
            .finish_non_exhaustive()
    }
}

impl PayPalGateway {
    /// A gateway with the system clock and the real https certificate fetcher.
    pub fn new(config: PayPalConfig) -> Result<Self, GatewayError> {
        let fetcher: Arc<dyn CertFetcher> = Arc::new(HttpsCertFetcher::new(config.timeout)?);
        let local = LocalVerifier::new(&config, fetcher, Arc::new(SystemClock))?;
        Ok(Self {
            api: Arc::new(Api::new(config)?),
            local,
        })
    }

    /// Replaces the clock used for certificate validity (tests pin it).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.local = self.local.with_clock(clock);
        self
    }

    /// Replaces the certificate fetcher (tests never touch the network).
    pub fn with_cert_fetcher(mut self, fetcher: Arc<dyn CertFetcher>) -> Self {
        self.local = self.local.with_fetcher(fetcher);
        self
    }

    /// The configuration in use.
    pub fn config(&self) -> &PayPalConfig {
        &self.api.config
    }

    fn order_url(&self, order_id: &str) -> Result<String, GatewayError> {
        Ok(format!(
            "{}/v2/checkout/orders/{}",
            self.api.config.orders_url(),
            safe_id(order_id)?
        ))
    }

    fn capture_url(&self, capture_id: &str) -> Result<String, GatewayError> {
        Ok(format!(
            "{}/v2/payments/captures/{}",
            self.api.config.payments_url(),
            safe_id(capture_id)?
        ))
    }

    async fn get_order(&self, order_id: &str) -> Result<Order, GatewayError> {
        Ok(self
            .api
            .call(Method::GET, &self.order_url(order_id)?, None, None)
            .await?)
    }
}

fn json_bytes(value: &serde_json::Value) -> Result<Vec<u8>, GatewayError> {
    serde_json::to_vec(value).map_err(|e| GatewayError::Other(e.to_string()))
}

fn order_id_of(payment: &Payment) -> Result<&str, GatewayError> {
    payment.gateway_reference.as_deref().ok_or_else(|| {
        GatewayError::Other(format!(
            "payment {} has no PayPal order yet; start it again (creating the order is idempotent by payment id)",
            payment.id
        ))
    })
}

#[async_trait]
impl PaymentGateway for PayPalGateway {
    fn methods(&self) -> Vec<PaymentMethodKind> {
        vec![PaymentMethodKind::Paypal]
    }

    fn capabilities(&self) -> GatewayCapabilities {
        GatewayCapabilities {
            partial_refunds: true,
            needs_capture: true,
            needs_approval: false,
            setup_sessions: false,
        }
    }

    async fn start(&self, request: &StartPayment) -> Result<StartedPayment, GatewayError> {
        let body = order_body(request, &self.api.config)?;
        let url = format!("{}/v2/checkout/orders", self.api.config.orders_url());
        let request_id = order_request_id(request.payment.id.as_str());
        let order: Order = self
            .api
            .call(
                Method::POST,
                &url,
                Some(&request_id),
                Some(json_bytes(&body)?),
            )
            .await?;
        let approve = order.approve_url().ok_or_else(|| {
            GatewayError::Other(format!(
                "PayPal order {} came back without an approve link",
                order.id
            ))
        })?;
        tracing::info!(payment = %request.payment.id, order = %order.id, "paypal: order created");
        Ok(StartedPayment {
            gateway_reference: Some(order.id.clone()),
            reference: None,
            next_action: NextAction::RedirectToUrl {
                url: approve.to_string(),
            },
            customer_id: None,
        })
    }

    async fn capture(&self, payment: &Payment) -> Result<GatewayOutcome, GatewayError> {
        let order_id = order_id_of(payment)?;
        let url = format!("{}/capture", self.order_url(order_id)?);
        let request_id = capture_request_id(payment.id.as_str());
        match self
            .api
            .call::<Order>(Method::POST, &url, Some(&request_id), Some(b"{}".to_vec()))
            .await
        {
            Ok(order) => order.outcome(Some(payment.currency)),
            Err(CallError::Rejected(r))
                if r.issue
                    .as_deref()
                    .is_some_and(|i| ALREADY_CAPTURED.contains(&i)) =>
            {
                tracing::info!(payment = %payment.id, order = order_id, "paypal: already captured; reading the order back");
                self.get_order(order_id)
                    .await?
                    .outcome(Some(payment.currency))
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn refund(&self, request: &GatewayRefundRequest) -> Result<GatewayRefund, GatewayError> {
        let payment = &request.payment;
        let capture_id = payment.gateway_payment_id.as_deref().ok_or_else(|| {
            GatewayError::Other(format!(
                "payment {} has no PayPal capture to refund",
                payment.id
            ))
        })?;
        let mut body = json!({
            "amount": to_paypal(request.amount, payment.currency)?,
            "custom_id": request.refund_id.as_str(),
        });
        if let Some(note) = clip(&request.reason) {
            body["note_to_payer"] = serde_json::Value::String(note);
        }
        let url = format!("{}/refund", self.capture_url(capture_id)?);
        let refund: Refund = self
            .api
            .call(
                Method::POST,
                &url,
                Some(request.refund_id.as_str()),
                Some(json_bytes(&body)?),
            )
            .await?;
        match refund.status.as_deref() {
            Some(s @ ("CANCELLED" | "FAILED")) => Err(GatewayError::Declined {
                code: s.to_string(),
                message: format!("PayPal refund {} is {s}", refund.id),
            }),
            // COMPLETED or PENDING: settled by PAYMENT.CAPTURE.REFUNDED, never here.
            _ => Ok(GatewayRefund {
                gateway_refund_id: Some(refund.id),
                settled: false,
            }),
        }
    }

    async fn fetch_status(&self, payment: &Payment) -> Result<GatewayOutcome, GatewayError> {
        if let Some(capture_id) = payment.gateway_payment_id.as_deref() {
            let capture: Capture = self
                .api
                .call(Method::GET, &self.capture_url(capture_id)?, None, None)
                .await?;
            return capture.outcome(Some(payment.currency));
        }
        // No order was ever named to us (its creation's answer was lost). PayPal cannot be
        // asked by our id; a capture, if one happened, is reported by its event. After the
        // event's retry horizon nothing was charged.
        if payment.gateway_reference.is_none() {
            return if self.local.now() - payment.created_at < LOST_ORDER_HORIZON {
                Err(GatewayError::Uncertain(
                    "PayPal never named the order; waiting for its capture event".to_owned(),
                ))
            } else {
                Ok(GatewayOutcome::Canceled)
            };
        }
        let order_id = order_id_of(payment)?;
        match self
            .api
            .call::<Order>(Method::GET, &self.order_url(order_id)?, None, None)
            .await
        {
            Ok(order) => order.outcome(Some(payment.currency)),
            Err(CallError::Rejected(r)) if r.status == 404 => Ok(GatewayOutcome::Canceled),
            Err(e) => Err(e.into()),
        }
    }

    async fn charge_saved(
        &self,
        request: &OffSessionCharge,
    ) -> Result<GatewayOutcome, GatewayError> {
        if !self.api.config.vault {
            return Err(GatewayError::Misconfigured(
                "PayPal vaulting is off (BILLING_PAYPAL_VAULT)".to_owned(),
            ));
        }
        crate::renewals::charge(&self.api, request).await
    }

    async fn saved_payment_method(
        &self,
        payment: &Payment,
    ) -> Result<Option<String>, GatewayError> {
        match (&payment.gateway_reference, self.api.config.vault) {
            (Some(order), true) => Ok(self.get_order(order).await?.vault_id()),
            _ => Ok(None),
        }
    }

    async fn verify_webhook(
        &self,
        headers: &[(String, String)],
        body: &[u8],
    ) -> Result<VerifiedWebhook, GatewayError> {
        let signed = crate::webhook::SignedHeaders::from_headers(headers)?;
        match self.api.config.verify {
            VerifyMode::Local => self.local.verify(&signed, body).await?,
            VerifyMode::Api => crate::webhook::verify_by_api(&self.api, &signed, body).await?,
        }
        crate::webhook::events::translate(body)
    }
}
