//! The parts of PayPal's response and event resources the adapter reads, and how they map
//! onto domain outcomes. Everything else PayPal sends is ignored.

use billing_domain::ports::GatewayError;
use billing_domain::ports::gateway::GatewayOutcome;
use billing_domain::types::Currency;
use serde::Deserialize;

use crate::amount::{PayPalMoney, from_paypal};

/// A HATEOAS link.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Link {
    pub href: String,
    pub rel: String,
}

/// An order (Orders v2).
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Order {
    pub id: String,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub links: Vec<Link>,
    #[serde(default)]
    pub purchase_units: Vec<PurchaseUnit>,
    #[serde(default)]
    pub payment_source: Option<PaymentSource>,
}

/// The payment source of an order as returned: only the vault of a PayPal wallet is read.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct PaymentSource {
    #[serde(default)]
    pub paypal: Option<WalletSource>,
}

/// A PayPal wallet payment source.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct WalletSource {
    #[serde(default)]
    pub attributes: Option<WalletAttributes>,
}

/// Attributes of a PayPal wallet payment source.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct WalletAttributes {
    #[serde(default)]
    pub vault: Option<Vault>,
}

/// The vault token a paid order saved.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Vault {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
}

/// A purchase unit as returned.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct PurchaseUnit {
    #[serde(default)]
    pub custom_id: Option<String>,
    #[serde(default)]
    pub payments: Option<Payments>,
}

/// The payments of a purchase unit.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Payments {
    #[serde(default)]
    pub captures: Vec<Capture>,
}

/// A capture (Payments v2, also embedded in orders and `PAYMENT.CAPTURE.*` events).
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Capture {
    pub id: String,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub amount: Option<PayPalMoney>,
    #[serde(default)]
    pub custom_id: Option<String>,
    #[serde(default)]
    pub status_details: Option<StatusDetails>,
    #[serde(default)]
    pub supplementary_data: Option<SupplementaryData>,
}

/// Why a capture or refund is in its state.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct StatusDetails {
    #[serde(default)]
    pub reason: Option<String>,
}

/// Related ids of a capture.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct SupplementaryData {
    #[serde(default)]
    pub related_ids: Option<RelatedIds>,
}

/// The order a capture belongs to.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct RelatedIds {
    #[serde(default)]
    pub order_id: Option<String>,
}

/// A refund (Payments v2, also `PAYMENT.CAPTURE.REFUNDED` / `REVERSED` resources).
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Refund {
    pub id: String,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub custom_id: Option<String>,
    #[serde(default)]
    pub amount: Option<PayPalMoney>,
    #[serde(default)]
    pub links: Vec<Link>,
}

impl Refund {
    /// The refunded capture's id, from the `up` link (`…/v2/payments/captures/{id}`).
    pub(crate) fn capture_id(&self) -> Option<String> {
        self.links
            .iter()
            .find(|l| l.rel == "up" && l.href.contains("/captures/"))
            .and_then(|l| l.href.rsplit('/').next())
            .filter(|id| !id.is_empty())
            .map(str::to_owned)
    }
}

/// The answer of `verify-webhook-signature`.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct VerifyResponse {
    pub verification_status: String,
}

impl Capture {
    /// The order id, when PayPal says.
    pub(crate) fn order_id(&self) -> Option<String> {
        self.supplementary_data
            .as_ref()?
            .related_ids
            .as_ref()?
            .order_id
            .clone()
    }

    /// What this capture means for our payment. `expected` is the payment's currency, when
    /// known: a capture in another currency is an error, never a silent success.
    pub(crate) fn outcome(
        &self,
        expected: Option<Currency>,
    ) -> Result<GatewayOutcome, GatewayError> {
        let status = self.status.as_deref().unwrap_or("");
        match status {
            "COMPLETED" | "PARTIALLY_REFUNDED" | "REFUNDED" => {
                let money = self.amount.as_ref().ok_or_else(|| {
                    GatewayError::Other(format!("capture {} has no amount", self.id))
                })?;
                let (minor, currency) = from_paypal(money)?;
                if expected.is_some_and(|c| c != currency) {
                    return Err(GatewayError::Other(format!(
                        "capture {} is in {currency}, the payment is not",
                        self.id
                    )));
                }
                Ok(GatewayOutcome::Succeeded {
                    amount_received: minor,
                    gateway_payment_id: Some(self.id.clone()),
                })
            }
            "PENDING" => Ok(GatewayOutcome::Processing),
            "DECLINED" | "FAILED" => {
                let why = self.status_details.as_ref().and_then(|d| d.reason.clone());
                Ok(GatewayOutcome::Failed {
                    reason: format!(
                        "PayPal capture {status}{}",
                        why.map(|w| format!(": {w}")).unwrap_or_default()
                    ),
                })
            }
            other => Err(GatewayError::Other(format!(
                "capture {} has unknown status `{other}`",
                self.id
            ))),
        }
    }
}

impl Order {
    /// The first capture of the first purchase unit.
    pub(crate) fn capture(&self) -> Option<&Capture> {
        self.purchase_units
            .first()?
            .payments
            .as_ref()?
            .captures
            .first()
    }

    /// What this order means for our payment.
    pub(crate) fn outcome(
        &self,
        expected: Option<Currency>,
    ) -> Result<GatewayOutcome, GatewayError> {
        match self.status.as_deref().unwrap_or("") {
            "COMPLETED" => match self.capture() {
                Some(c) => c.outcome(expected),
                None => Err(GatewayError::Other(format!(
                    "order {} is COMPLETED without a capture",
                    self.id
                ))),
            },
            "APPROVED" => Ok(GatewayOutcome::Approved),
            "CREATED" | "SAVED" | "PAYER_ACTION_REQUIRED" => Ok(GatewayOutcome::Processing),
            "VOIDED" => Ok(GatewayOutcome::Canceled),
            other => Err(GatewayError::Other(format!(
                "order {} has unknown status `{other}`",
                self.id
            ))),
        }
    }

    /// The vault token this order saved, once PayPal says it is `VAULTED` (an `APPROVED`
    /// vault is still being created; its token follows).
    pub(crate) fn vault_id(&self) -> Option<String> {
        let vault = self
            .payment_source
            .as_ref()?
            .paypal
            .as_ref()?
            .attributes
            .as_ref()?
            .vault
            .as_ref()?;
        match vault.status.as_deref() {
            None | Some("VAULTED") => vault.id.clone().filter(|id| !id.is_empty()),
            Some(_) => None,
        }
    }

    /// Where the payer approves the order.
    pub(crate) fn approve_url(&self) -> Option<&str> {
        self.links
            .iter()
            .find(|l| l.rel == "payer-action" || l.rel == "approve")
            .map(|l| l.href.as_str())
            .filter(|h| url::Url::parse(h).is_ok_and(|u| matches!(u.scheme(), "https" | "http")))
    }
}

/// PayPal ids go into URL paths: only letters, digits, `-` and `_` are accepted.
pub(crate) fn safe_id(id: &str) -> Result<&str, GatewayError> {
    if !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        Ok(id)
    } else {
        Err(GatewayError::Other(format!("`{id}` is not a PayPal id")))
    }
}
