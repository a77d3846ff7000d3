//! Outgoing e-mail: one message to an account's billing address, queued when an outbox event
//! calls for it and delivered by the mail worker. The row is written once per
//! `(event, kind)` (its `dedupe_key`), so an event handled twice — by a retry or by two
//! server processes — queues one message; the worker's lease on it sends it once.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::types::{AccountId, EmailId, EventId, InvoiceId};

/// Which message it is; each kind has one HTML and one text template.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum EmailKind {
    /// A card or PayPal payment succeeded (invoice PDF attached).
    PaymentReceipt,
    /// An invoice was issued and is due (PDF attached, pay link).
    InvoiceIssued,
    /// How to pay a manual payment: bank or wallet details, amount, reference, due date.
    PaymentInstructions,
    /// An operator approved a manual payment (invoice PDF attached).
    PaymentApproved,
    /// An operator rejected a manual payment, with the reason and how to resubmit.
    PaymentRejected,
    /// A refund went through.
    RefundIssued,
    /// The credit balance fell below the account's threshold.
    LowBalance,
    /// A subscription renewal was paid (invoice PDF attached).
    RenewalPaid,
    /// A subscription payment failed; the next retry and a pay link.
    PaymentFailed,
    /// A trial ends soon.
    TrialEnding,
    /// A subscription was canceled.
    SubscriptionCanceled,
}

impl EmailKind {
    /// Every kind, in the order `docs/notifications.md` lists them.
    pub const ALL: [Self; 11] = [
        Self::PaymentInstructions,
        Self::PaymentApproved,
        Self::PaymentRejected,
        Self::PaymentReceipt,
        Self::InvoiceIssued,
        Self::RefundIssued,
        Self::LowBalance,
        Self::RenewalPaid,
        Self::PaymentFailed,
        Self::TrialEnding,
        Self::SubscriptionCanceled,
    ];

    /// Wire and template name, e.g. `payment_receipt`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PaymentReceipt => "payment_receipt",
            Self::InvoiceIssued => "invoice_issued",
            Self::PaymentInstructions => "payment_instructions",
            Self::PaymentApproved => "payment_approved",
            Self::PaymentRejected => "payment_rejected",
            Self::RefundIssued => "refund_issued",
            Self::LowBalance => "low_balance",
            Self::RenewalPaid => "renewal_paid",
            Self::PaymentFailed => "payment_failed",
            Self::TrialEnding => "trial_ending",
            Self::SubscriptionCanceled => "subscription_canceled",
        }
    }

    /// The kind named `s`.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl std::fmt::Display for EmailKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a message is in its delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum EmailStatus {
    /// Waiting for its (next) attempt.
    Queued,
    /// The SMTP server accepted it.
    Sent,
    /// Given up: a permanent refusal, or too many temporary ones.
    Failed,
}

impl EmailStatus {
    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Sent => "sent",
            Self::Failed => "failed",
        }
    }

    /// The status named `s`.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Queued, Self::Sent, Self::Failed]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// What one delivery attempt came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AttemptOutcome {
    /// Accepted by the server.
    Sent,
    /// A temporary failure (4xx, unreachable): tried again later.
    Deferred,
    /// A permanent failure (5xx), or the last temporary one allowed.
    Failed,
}

/// One delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EmailAttempt {
    /// When it ended.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// How.
    pub outcome: AttemptOutcome,
    /// The server's answer on a failure.
    pub detail: Option<String>,
}

/// One queued or delivered message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OutgoingEmail {
    /// `eml_…`.
    pub id: EmailId,
    /// The account it is about (and whose billing e-mail it goes to).
    pub account_id: AccountId,
    /// The outbox event that caused it.
    pub event_id: EventId,
    /// Which message.
    pub kind: EmailKind,
    /// Unique: `<event id>:<kind>`, or `resend:<email id>:<new id>` for a resend.
    pub dedupe_key: String,
    /// Recipient address.
    pub to: String,
    /// Recipient name.
    pub to_name: Option<String>,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub text: String,
    /// HTML body.
    pub html: String,
    /// The invoice whose PDF is attached, if any (rendered at sending, from the kept copy).
    pub invoice_id: Option<InvoiceId>,
    /// `Message-ID` (without angle brackets), the same on every attempt.
    pub message_id: String,
    /// Delivery status.
    pub status: EmailStatus,
    /// Every attempt so far, oldest first.
    pub attempts: Vec<EmailAttempt>,
    /// When the next attempt is due (meaningful while queued).
    #[serde(with = "time::serde::rfc3339")]
    pub next_attempt_at: OffsetDateTime,
    /// A worker's lease: no other worker takes the message before this time.
    #[serde(with = "time::serde::rfc3339::option")]
    pub lease_until: Option<OffsetDateTime>,
    /// The message this one re-sends, if it is a resend.
    pub resent_from: Option<EmailId>,
    /// When it was queued.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Last change.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// When the server accepted it.
    #[serde(with = "time::serde::rfc3339::option")]
    pub sent_at: Option<OffsetDateTime>,
}

/// How long the worker waits before trying a temporarily refused message again: 1 min,
/// doubling, at most 1 h; after [`MAX_DELIVERY_ATTEMPTS`] attempts the message fails.
pub fn retry_delay(attempts: u32) -> time::Duration {
    let doublings = attempts.saturating_sub(1).min(10);
    (time::Duration::MINUTE * (1_i32 << doublings)).min(time::Duration::HOUR)
}

/// Attempts after which a temporarily refused message is given up (about a day of retries).
pub const MAX_DELIVERY_ATTEMPTS: u32 = 30;

impl OutgoingEmail {
    /// The message after an attempt that ended `at` with `result`: sent; queued again with
    /// backoff on a temporary failure; failed on a permanent one or the last allowed.
    pub fn after_attempt(
        &self,
        result: Result<(), crate::ports::MailError>,
        at: OffsetDateTime,
    ) -> Self {
        let mut next = self.clone();
        let attempts = u32::try_from(self.attempts.len())
            .unwrap_or(u32::MAX)
            .saturating_add(1);
        let (outcome, detail) = match result {
            Ok(()) => (AttemptOutcome::Sent, None),
            Err(crate::ports::MailError::Transient(m)) if attempts < MAX_DELIVERY_ATTEMPTS => {
                (AttemptOutcome::Deferred, Some(m))
            }
            Err(crate::ports::MailError::Transient(m) | crate::ports::MailError::Permanent(m)) => {
                (AttemptOutcome::Failed, Some(m))
            }
        };
        next.attempts.push(EmailAttempt {
            at,
            outcome,
            detail,
        });
        match outcome {
            AttemptOutcome::Sent => {
                next.status = EmailStatus::Sent;
                next.sent_at = Some(at);
            }
            AttemptOutcome::Deferred => next.next_attempt_at = at + retry_delay(attempts),
            AttemptOutcome::Failed => next.status = EmailStatus::Failed,
        }
        next.lease_until = None;
        next.updated_at = at;
        next
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::ports::MailError;

    fn email() -> OutgoingEmail {
        let t = OffsetDateTime::UNIX_EPOCH;
        OutgoingEmail {
            id: EmailId::generate(t),
            account_id: AccountId::generate(t),
            event_id: EventId::generate(t),
            kind: EmailKind::PaymentReceipt,
            dedupe_key: "evt:payment_receipt".into(),
            to: "a@example.com".into(),
            to_name: None,
            subject: "s".into(),
            text: "t".into(),
            html: "h".into(),
            invoice_id: None,
            message_id: "m@x".into(),
            status: EmailStatus::Queued,
            attempts: vec![],
            next_attempt_at: t,
            lease_until: Some(t),
            resent_from: None,
            created_at: t,
            updated_at: t,
            sent_at: None,
        }
    }

    #[test]
    fn temporary_failures_back_off_then_give_up() {
        let t = OffsetDateTime::UNIX_EPOCH + time::Duration::DAY;
        let mut e = email();
        for n in 1..MAX_DELIVERY_ATTEMPTS {
            e = e.after_attempt(Err(MailError::Transient("451".into())), t);
            assert_eq!(e.status, EmailStatus::Queued, "attempt {n}");
            assert_eq!(e.next_attempt_at, t + retry_delay(n));
            assert_eq!(e.lease_until, None);
        }
        e = e.after_attempt(Err(MailError::Transient("451".into())), t);
        assert_eq!(e.status, EmailStatus::Failed);
        assert_eq!(e.attempts.len(), MAX_DELIVERY_ATTEMPTS as usize);
        assert_eq!(retry_delay(1), time::Duration::MINUTE);
        assert_eq!(retry_delay(3), time::Duration::minutes(4));
        assert_eq!(retry_delay(29), time::Duration::HOUR);
    }

    #[test]
    fn a_permanent_failure_fails_at_once_and_success_is_recorded() {
        let t = OffsetDateTime::UNIX_EPOCH;
        let failed = email().after_attempt(Err(MailError::Permanent("550 no".into())), t);
        assert_eq!(failed.status, EmailStatus::Failed);
        assert_eq!(failed.attempts[0].detail.as_deref(), Some("550 no"));
        let sent = email().after_attempt(Ok(()), t);
        assert_eq!((sent.status, sent.sent_at), (EmailStatus::Sent, Some(t)));
        assert_eq!(sent.attempts[0].outcome, AttemptOutcome::Sent);
    }

    #[test]
    fn kinds_round_trip_their_names() {
        for k in EmailKind::ALL {
            assert_eq!(EmailKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(EmailStatus::parse("sent"), Some(EmailStatus::Sent));
    }
}
