//! Payments and refunds.
//!
//! Gateway payments: `pending → processing → succeeded | failed | canceled`, with `unknown`
//! for outcomes a timeout hid (resolved by asking the gateway, never by guessing).
//! Manual payments: `awaiting_transfer → pending_approval → succeeded | rejected`
//! (a rejected payment can be resubmitted; unpaid ones are `canceled` on expiry).
//! Then `succeeded → partially_refunded → refunded`.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::entities::PaymentMethodKind;
use crate::error::BillingError;
use crate::types::{AccountId, Currency, FileId, InvoiceId, PaymentId, RefundId};

/// Payment states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum PaymentStatus {
    /// Created, gateway not yet asked.
    Pending,
    /// The gateway is working on it (checkout open, capture running).
    Processing,
    /// A timeout or 5xx hid the outcome; the janitor asks the gateway.
    Unknown,
    /// Manual: waiting for the payer's transfer.
    AwaitingTransfer,
    /// Manual: the payer says they paid; an operator must check.
    PendingApproval,
    /// Money received.
    Succeeded,
    /// The gateway declined.
    Failed,
    /// Abandoned or expired.
    Canceled,
    /// Manual: an operator did not find the money.
    Rejected,
    /// Part of the money was returned.
    PartiallyRefunded,
    /// All of the money was returned.
    Refunded,
}

impl PaymentStatus {
    /// Every state.
    pub const ALL: [Self; 11] = [
        Self::Pending,
        Self::Processing,
        Self::Unknown,
        Self::AwaitingTransfer,
        Self::PendingApproval,
        Self::Succeeded,
        Self::Failed,
        Self::Canceled,
        Self::Rejected,
        Self::PartiallyRefunded,
        Self::Refunded,
    ];

    /// The allowed transitions. Everything else is refused.
    pub fn can_become(self, to: Self) -> bool {
        use PaymentStatus::*;
        matches!(
            (self, to),
            (
                Pending,
                Processing | Unknown | AwaitingTransfer | Succeeded | Failed | Canceled
            ) | (Processing, Unknown | Succeeded | Failed | Canceled)
                | (Unknown, Processing | Succeeded | Failed | Canceled)
                | (AwaitingTransfer, PendingApproval | Succeeded | Canceled)
                | (PendingApproval, Succeeded | Rejected | Canceled)
                | (Rejected, PendingApproval | Canceled)
                | (Succeeded, PartiallyRefunded | Refunded)
                | (PartiallyRefunded, PartiallyRefunded | Refunded)
                // A refund that fails at the gateway gives its amount back.
                | (PartiallyRefunded | Refunded, Succeeded)
                | (Refunded, PartiallyRefunded)
        )
    }

    /// Checks a transition.
    pub fn transition(self, to: Self) -> Result<Self, BillingError> {
        if self.can_become(to) {
            Ok(to)
        } else {
            Err(BillingError::InvalidTransition {
                entity: "payment",
                from: self.to_string(),
                to: to.to_string(),
            })
        }
    }

    /// No further change will happen by itself (a refunded payment reopens only if a refund
    /// fails at the gateway).
    pub fn is_final(self) -> bool {
        matches!(self, Self::Failed | Self::Canceled | Self::Refunded)
    }

    /// The stable text form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Processing => "processing",
            Self::Unknown => "unknown",
            Self::AwaitingTransfer => "awaiting_transfer",
            Self::PendingApproval => "pending_approval",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Canceled => "canceled",
            Self::Rejected => "rejected",
            Self::PartiallyRefunded => "partially_refunded",
            Self::Refunded => "refunded",
        }
    }

    /// Parses the text form.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl fmt::Display for PaymentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One timestamped status change, kept with the payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatusChange {
    /// New status.
    pub status: PaymentStatus,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// Who: key id, `system`, or the gateway name.
    pub actor: String,
    /// Reason or note.
    pub note: Option<String>,
}

/// A payment for an invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Payment {
    /// `pay_…`.
    pub id: PaymentId,
    /// The payer.
    pub account_id: AccountId,
    /// The invoice paid.
    pub invoice_id: InvoiceId,
    /// How.
    pub method: PaymentMethodKind,
    /// Lifecycle state.
    pub status: PaymentStatus,
    /// Currency of every amount.
    pub currency: Currency,
    /// Amount asked, in minor units.
    pub amount: i64,
    /// Amount actually received (may differ for manual payments).
    pub amount_received: i64,
    /// Amount refunded so far.
    pub amount_refunded: i64,
    /// Manual payments: the reference the payer must quote.
    pub reference: Option<String>,
    /// Gateway object id (Checkout Session, PayPal order).
    pub gateway_reference: Option<String>,
    /// Gateway payment id (PaymentIntent, PayPal capture).
    pub gateway_payment_id: Option<String>,
    /// Why it failed or was rejected.
    pub failure_reason: Option<String>,
    /// When an unpaid manual payment is canceled.
    #[serde(with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    /// What the payer must do next (instructions and reference, or a redirect URL).
    pub next_action: Option<NextAction>,
    /// Manual payments: the payer's latest confirmation.
    pub confirmation: Option<PaymentConfirmation>,
    /// Every status change, oldest first.
    pub history: Vec<StatusChange>,
    /// Creation time.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Last change.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl Payment {
    /// What may still be refunded.
    pub fn refundable(&self) -> i64 {
        self.amount_received
            .saturating_sub(self.amount_refunded)
            .max(0)
    }

    /// Received beyond what was asked (manual overpayment), recorded, never silently kept.
    pub fn excess(&self) -> i64 {
        self.amount_received.saturating_sub(self.amount).max(0)
    }
}

/// What the payer must do next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum NextAction {
    /// Open this URL (Stripe Checkout, PayPal approval).
    RedirectToUrl {
        /// Where to send the payer.
        url: String,
    },
    /// Transfer money manually, quoting the reference.
    ManualTransfer {
        /// Instructions from the country's config.
        instructions: Option<String>,
        /// Bank details, for bank transfers.
        bank_details: Option<serde_json::Value>,
        /// Wallet details, for local wallets.
        wallet_details: Option<serde_json::Value>,
        /// Exact amount, minor units.
        amount: i64,
        /// Its currency.
        currency: Currency,
        /// The unique reference to quote.
        reference: String,
    },
}

/// A payer's statement that they paid a manual payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PaymentConfirmation {
    /// The reference they quoted.
    pub reference: String,
    /// What they say they paid, minor units.
    pub amount: i64,
    /// The day they paid, `YYYY-MM-DD`.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    #[serde(with = "crate::types::iso_date")]
    pub paid_on: time::Date,
    /// Name on the sending account.
    pub payer_name: String,
    /// A link to a receipt.
    pub proof_url: Option<String>,
    /// An uploaded receipt kept in the store.
    pub proof_file_id: Option<FileId>,
    /// Free text.
    pub note: Option<String>,
    /// When it was submitted.
    #[serde(with = "time::serde::rfc3339")]
    pub submitted_at: OffsetDateTime,
}

/// An uploaded proof of payment (receipt scan), size-limited and type-checked on upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProofFile {
    /// `file_…`.
    pub id: FileId,
    /// The payment it proves.
    pub payment_id: PaymentId,
    /// The uploader's file name.
    pub filename: String,
    /// `application/pdf`, `image/png` or `image/jpeg`, checked against the bytes.
    pub content_type: String,
    /// Hex SHA-256 of the bytes.
    pub sha256: String,
    /// The bytes.
    #[serde(skip)]
    pub data: Vec<u8>,
    /// When uploaded.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// Refund states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum RefundStatus {
    /// Sent to the gateway, not settled.
    Pending,
    /// Money returned.
    Succeeded,
    /// The gateway refused.
    Failed,
    /// Withdrawn.
    Canceled,
}

impl RefundStatus {
    /// The stable text form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Canceled => "canceled",
        }
    }

    /// Parses the text form.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Pending, Self::Succeeded, Self::Failed, Self::Canceled]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// A full or partial refund of a payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Refund {
    /// `re_…`.
    pub id: RefundId,
    /// The refunded payment.
    pub payment_id: PaymentId,
    /// The payer.
    pub account_id: AccountId,
    /// Refund state.
    pub status: RefundStatus,
    /// Currency.
    pub currency: Currency,
    /// Amount in minor units.
    pub amount: i64,
    /// Why.
    pub reason: String,
    /// Gateway refund id.
    pub gateway_refund_id: Option<String>,
    /// Credits taken back from the balance.
    pub credits_clawed_back: i64,
    /// Credits that should have been taken back but were already spent.
    pub credits_deficit: i64,
    /// Who asked.
    pub actor: String,
    /// Creation time.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Last change.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pair_of_payment_states() {
        use PaymentStatus::*;
        let allowed: &[(PaymentStatus, PaymentStatus)] = &[
            (Pending, Processing),
            (Pending, Unknown),
            (Pending, AwaitingTransfer),
            (Pending, Succeeded),
            (Pending, Failed),
            (Pending, Canceled),
            (Processing, Unknown),
            (Processing, Succeeded),
            (Processing, Failed),
            (Processing, Canceled),
            (Unknown, Processing),
            (Unknown, Succeeded),
            (Unknown, Failed),
            (Unknown, Canceled),
            (AwaitingTransfer, PendingApproval),
            (AwaitingTransfer, Succeeded),
            (AwaitingTransfer, Canceled),
            (PendingApproval, Succeeded),
            (PendingApproval, Rejected),
            (PendingApproval, Canceled),
            (Rejected, PendingApproval),
            (Rejected, Canceled),
            (Succeeded, PartiallyRefunded),
            (Succeeded, Refunded),
            (PartiallyRefunded, PartiallyRefunded),
            (PartiallyRefunded, Refunded),
            (PartiallyRefunded, Succeeded),
            (Refunded, Succeeded),
            (Refunded, PartiallyRefunded),
        ];
        let mut checked = 0;
        for from in PaymentStatus::ALL {
            for to in PaymentStatus::ALL {
                let expected = allowed.contains(&(from, to));
                assert_eq!(from.can_become(to), expected, "{from} -> {to}");
                assert_eq!(from.transition(to).is_ok(), expected, "{from} -> {to}");
                checked += 1;
            }
        }
        assert_eq!(checked, 121);
    }

    #[test]
    fn status_text_round_trips() {
        for s in PaymentStatus::ALL {
            assert_eq!(PaymentStatus::parse(s.as_str()), Some(s));
        }
    }
}
