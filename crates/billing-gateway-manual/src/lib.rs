//! # billing-gateway-manual
//!
//! Bank transfers and local wallets: no network, no webhooks. Starting a payment hands the
//! payer the country's instructions, the bank or wallet details, the exact amount and a
//! unique [`PaymentReference`]; an operator later approves or rejects it. Refunds are made
//! outside the system and only recorded, so they settle at once.

pub mod reference;

use async_trait::async_trait;
use billing_domain::entities::{Payment, PaymentMethodKind};
use billing_domain::ports::gateway::{
    GatewayCapabilities, GatewayOutcome, GatewayRefund, GatewayRefundRequest, NextAction,
    StartPayment, StartedPayment, VerifiedWebhook,
};
use billing_domain::ports::{GatewayError, PaymentGateway};

pub use reference::{PaymentReference, ReferenceError};

/// The manual gateway.
#[derive(Debug, Clone, Copy, Default)]
pub struct ManualGateway;

#[async_trait]
impl PaymentGateway for ManualGateway {
    fn methods(&self) -> Vec<PaymentMethodKind> {
        vec![
            PaymentMethodKind::BankTransfer,
            PaymentMethodKind::LocalWallet,
        ]
    }

    fn capabilities(&self) -> GatewayCapabilities {
        GatewayCapabilities {
            partial_refunds: true,
            needs_capture: false,
            needs_approval: true,
            setup_sessions: false,
        }
    }

    async fn start(&self, request: &StartPayment) -> Result<StartedPayment, GatewayError> {
        let config = &request.config;
        if !config.method.is_manual() {
            return Err(GatewayError::Misconfigured(format!(
                "{} is not a manual method",
                config.method
            )));
        }
        let reference = request
            .payment
            .reference
            .clone()
            .unwrap_or_else(|| PaymentReference::generate().to_string());
        let details = |v: Option<serde_json::Value>| v.filter(|d| !d.is_null());
        Ok(StartedPayment {
            gateway_reference: None,
            customer_id: None,
            reference: Some(reference.clone()),
            next_action: NextAction::ManualTransfer {
                instructions: config.instructions.as_ref().map(|i| i.to_string()),
                bank_details: details(
                    config
                        .bank_details
                        .as_ref()
                        .and_then(|b| serde_json::to_value(b).ok()),
                ),
                wallet_details: details(
                    config
                        .wallet_details
                        .as_ref()
                        .and_then(|w| serde_json::to_value(w).ok()),
                ),
                amount: request.payment.amount,
                currency: request.payment.currency,
                reference,
            },
        })
    }

    async fn capture(&self, _payment: &Payment) -> Result<GatewayOutcome, GatewayError> {
        Err(GatewayError::Other(
            "manual payments are approved by an operator, not captured".into(),
        ))
    }

    async fn refund(&self, _request: &GatewayRefundRequest) -> Result<GatewayRefund, GatewayError> {
        // The money goes back outside the system (a transfer by the operator); we record it.
        Ok(GatewayRefund {
            gateway_refund_id: None,
            settled: true,
        })
    }

    async fn fetch_status(&self, _payment: &Payment) -> Result<GatewayOutcome, GatewayError> {
        // Only an operator knows; until they decide, the payment is in progress.
        Ok(GatewayOutcome::Processing)
    }

    async fn verify_webhook(
        &self,
        _headers: &[(String, String)],
        _body: &[u8],
    ) -> Result<VerifiedWebhook, GatewayError> {
        Err(GatewayError::InvalidWebhook(
            "manual payments have no webhooks".into(),
        ))
    }
}
