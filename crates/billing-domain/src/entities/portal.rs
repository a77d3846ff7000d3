//! The billing portal's one-time links and the sessions they open.
//!
//! A link is a bearer secret handed to the platform's backend, which sends its user there;
//! a session is what opening it creates. Both secrets are 256 random bits stored only as a
//! SHA-256 hash (like API keys: a fast hash suffices for secrets nobody can guess).

use base64::Engine as _;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::entities::api_key::hash_secret;
use crate::types::{AccountId, InvoiceId, PaymentId, PortalSessionId};

/// Where a portal link lands: a task the platform sends its user to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum PortalFlow {
    /// The buy-credits page.
    BuyCredits,
    /// Paying one invoice of the account.
    PayInvoice {
        /// The invoice.
        invoice_id: InvoiceId,
    },
    /// One manual payment's page (instructions, confirmation form, status).
    ManualPayment {
        /// The payment.
        payment_id: PaymentId,
    },
    /// The plan page.
    Subscription,
}

impl PortalFlow {
    /// The stable name of the flow's kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::BuyCredits => "buy_credits",
            Self::PayInvoice { .. } => "pay_invoice",
            Self::ManualPayment { .. } => "manual_payment",
            Self::Subscription => "subscription",
        }
    }

    /// The id the flow points at, if any.
    pub fn target(&self) -> Option<&str> {
        match self {
            Self::PayInvoice { invoice_id } => Some(invoice_id.as_str()),
            Self::ManualPayment { payment_id } => Some(payment_id.as_str()),
            Self::BuyCredits | Self::Subscription => None,
        }
    }

    /// Rebuilds a flow from [`PortalFlow::kind`] and [`PortalFlow::target`] as stored.
    pub fn from_stored(kind: &str, target: Option<&str>) -> Option<Self> {
        match (kind, target) {
            ("buy_credits", _) => Some(Self::BuyCredits),
            ("subscription", _) => Some(Self::Subscription),
            ("pay_invoice", Some(t)) => Some(Self::PayInvoice {
                invoice_id: InvoiceId::from_trusted(t.to_owned()),
            }),
            ("manual_payment", Some(t)) => Some(Self::ManualPayment {
                payment_id: PaymentId::from_trusted(t.to_owned()),
            }),
            _ => None,
        }
    }
}

/// A one-time link, as stored (the token only as its hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortalLink {
    /// Hex SHA-256 of the token in the URL.
    pub token_hash: String,
    /// The account whose portal it opens.
    pub account_id: AccountId,
    /// Where "Return to …" leads (the platform's page).
    pub return_url: String,
    /// The task it lands on; `None` is the overview.
    pub flow: Option<PortalFlow>,
    /// When it was made.
    pub created_at: OffsetDateTime,
    /// After this it opens nothing.
    pub expires_at: OffsetDateTime,
    /// When it was opened; a used link opens nothing.
    pub used_at: Option<OffsetDateTime>,
}

/// A signed-in portal session, stored server side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortalSession {
    /// `psn_…`, the actor in audit entries (`portal:psn_…`).
    pub id: PortalSessionId,
    /// Hex SHA-256 of the cookie's secret.
    pub token_hash: String,
    /// The one account this session may see.
    pub account_id: AccountId,
    /// The link's return URL.
    pub return_url: String,
    /// The link's flow (where the session started).
    pub flow: Option<PortalFlow>,
    /// The per-session token every state-changing form must carry.
    pub csrf_token: String,
    /// When the link was opened.
    pub created_at: OffsetDateTime,
    /// Idle timeout: each request moves it forward, never past [`PortalSession::expires_at`].
    pub idle_expires_at: OffsetDateTime,
    /// Absolute lifetime.
    pub expires_at: OffsetDateTime,
    /// Signed out or revoked by an operator.
    pub revoked_at: Option<OffsetDateTime>,
}

impl PortalSession {
    /// Usable at `now`: not revoked, neither timeout passed.
    pub fn is_live(&self, now: OffsetDateTime) -> bool {
        self.revoked_at.is_none() && now < self.idle_expires_at && now < self.expires_at
    }
}

/// A fresh bearer secret (link token, session cookie, CSRF token): 32 random bytes,
/// base64url without padding (43 characters, safe in URLs and cookies).
#[derive(Clone, PartialEq, Eq)]
pub struct PortalSecret(pub String);

impl std::fmt::Debug for PortalSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PortalSecret(<redacted>)")
    }
}

impl PortalSecret {
    /// 256 bits from the OS-seeded generator.
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        Self(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
    }

    /// The hash stored in place of the secret.
    pub fn hash(&self) -> String {
        hash_secret(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_url_safe_unique_and_hashed() {
        let (a, b) = (PortalSecret::generate(), PortalSecret::generate());
        assert_ne!(a, b);
        assert_eq!(a.0.len(), 43);
        assert!(
            a.0.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
        assert_eq!(a.hash(), hash_secret(&a.0));
        assert_ne!(a.hash(), a.0);
        assert_eq!(format!("{a:?}"), "PortalSecret(<redacted>)");
    }

    #[test]
    fn flows_round_trip_through_their_stored_form() {
        let now = OffsetDateTime::UNIX_EPOCH;
        for flow in [
            PortalFlow::BuyCredits,
            PortalFlow::Subscription,
            PortalFlow::PayInvoice {
                invoice_id: InvoiceId::generate(now),
            },
            PortalFlow::ManualPayment {
                payment_id: PaymentId::generate(now),
            },
        ] {
            assert_eq!(
                PortalFlow::from_stored(flow.kind(), flow.target()),
                Some(flow)
            );
        }
        assert_eq!(PortalFlow::from_stored("pay_invoice", None), None);
    }
}
