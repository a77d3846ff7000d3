//! The manual payment workflow: the payer confirms a transfer (with optional proof), an
//! operator approves (credits granted exactly once) or rejects (reason shown to the payer,
//! who may submit again); unpaid payments are canceled on expiry by a sweep.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::entities::audit::RequestContext;
use crate::entities::{Payment, PaymentConfirmation, PaymentStatus, ProofFile};
use crate::error::{BillingError, BillingResult, ValidationError};
use crate::ports::PaymentChange;
use crate::services::input::required;
use crate::services::payment_context::{PaymentDeps, transition};
use crate::services::settlement::settle_succeeded;
use crate::types::{AccountId, BoundedText, FileId, PaymentId};

/// An uploaded proof file, already decoded by the transport.
#[derive(Debug, Clone)]
pub struct ProofUpload {
    /// File name as uploaded.
    pub filename: String,
    /// Declared content type.
    pub content_type: String,
    /// The bytes.
    pub bytes: Vec<u8>,
}

/// A payer's confirmation as sent.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConfirmationInput {
    /// The payment reference they quoted.
    pub reference: Option<String>,
    /// What they paid, minor units.
    pub amount: Option<i64>,
    /// The day they paid, `YYYY-MM-DD`.
    pub paid_on: Option<String>,
    /// Name on the sending account (≤ 200).
    pub payer_name: Option<String>,
    /// Link to a receipt (http/https, ≤ 500).
    pub proof_url: Option<String>,
    /// Free text (≤ 1000).
    pub note: Option<String>,
}

/// An approval as sent.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ApproveInput {
    /// What actually arrived, minor units; defaults to the payment's amount.
    pub amount_received: Option<i64>,
    /// Operator's note (≤ 500).
    pub note: Option<String>,
}

fn normalize_reference(r: &str) -> String {
    r.chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            other => other,
        })
        .collect()
}

/// Recognises the allowed proof types by their first bytes, whatever the declared type says.
fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else {
        None
    }
}

/// Manual payment use cases.
#[derive(Clone)]
pub struct ManualPaymentService {
    deps: PaymentDeps,
}

impl ManualPaymentService {
    /// Wires the service.
    pub fn new(deps: PaymentDeps) -> Self {
        Self { deps }
    }

    /// The payer says they paid: `awaiting_transfer` or `rejected` → `pending_approval`.
    pub async fn submit_confirmation(
        &self,
        ctx: &RequestContext,
        account_id: &str,
        payment_id: &str,
        input: ConfirmationInput,
        proof: Option<ProofUpload>,
    ) -> BillingResult<Payment> {
        let account = AccountId::parse(account_id, "id")?;
        ctx.principal.ensure_account(&account)?;
        let id = PaymentId::parse(payment_id, "payment_id")?;
        let payment = self.deps.payment(&id).await?;
        if payment.account_id != account {
            return Err(BillingError::not_found("payment", &id));
        }
        if !matches!(
            payment.status,
            PaymentStatus::AwaitingTransfer | PaymentStatus::Rejected
        ) {
            return Err(BillingError::conflict(
                "payment_not_awaiting_transfer",
                format!(
                    "payment {id} is {}; only a payment awaiting transfer (or rejected) takes a confirmation",
                    payment.status
                ),
            ));
        }
        let reference = required(input.reference.as_deref(), "reference")?;
        if payment.reference.as_deref().map(normalize_reference)
            != Some(normalize_reference(reference))
        {
            return Err(ValidationError::new(
                "reference",
                "does not match this payment's reference",
            )
            .into());
        }
        let amount = *required(input.amount.as_ref(), "amount")?;
        if !(1..=crate::types::money::MAX_AMOUNT_MINOR).contains(&amount) {
            return Err(
                ValidationError::new("amount", "must be a positive amount in minor units").into(),
            );
        }
        let fmt = time::macros::format_description!("[year]-[month]-[day]");
        let paid_on = time::Date::parse(required(input.paid_on.as_deref(), "paid_on")?, &fmt)
            .map_err(|_| ValidationError::new("paid_on", "must be a date YYYY-MM-DD"))?;
        let now = self.deps.clock.now();
        if paid_on > now.date().next_day().unwrap_or(now.date()) {
            return Err(ValidationError::new("paid_on", "is in the future").into());
        }
        let payer_name = BoundedText::new(
            required(input.payer_name.as_deref(), "payer_name")?,
            "payer_name",
            200,
        )?
        .into_inner();
        let proof_url = BoundedText::optional(input.proof_url.as_deref(), "proof_url", 500)?
            .map(BoundedText::into_inner);
        if proof_url
            .as_deref()
            .is_some_and(|u| !(u.starts_with("https://") || u.starts_with("http://")))
        {
            return Err(ValidationError::new("proof_url", "must be an http(s) URL").into());
        }
        let note = BoundedText::optional(input.note.as_deref(), "note", 1000)?
            .map(BoundedText::into_inner);
        let proof = proof.map(|p| self.check_proof(p, &id, now)).transpose()?;
        let confirmation = PaymentConfirmation {
            reference: payment.reference.clone().unwrap_or_default(),
            amount,
            paid_on,
            payer_name,
            proof_url,
            proof_file_id: proof.as_ref().map(|p| p.id.clone()),
            note,
            submitted_at: now,
        };
        let actor = ctx.principal.actor();
        let (p, _) = self
            .deps
            .guarded(&id, |current| {
                if current.status == PaymentStatus::PendingApproval
                    && current.confirmation.as_ref() == Some(&confirmation)
                {
                    return Ok(None);
                }
                let mut next = current.clone();
                transition(&mut next, PaymentStatus::PendingApproval, &actor, None, now)?;
                next.confirmation = Some(confirmation.clone());
                next.failure_reason = None;
                Ok(Some(PaymentChange {
                    proof: proof.clone(),
                    ..PaymentChange::payment_only(next, &current)
                }))
            })
            .await?;
        Ok(p)
    }

    fn check_proof(
        &self,
        p: ProofUpload,
        payment: &PaymentId,
        now: time::OffsetDateTime,
    ) -> Result<ProofFile, ValidationError> {
        let max = self.deps.settings.max_proof_bytes;
        if p.bytes.is_empty() || p.bytes.len() > max {
            return Err(ValidationError::new(
                "proof_file",
                format!("must be 1 byte to {} MiB", max / (1024 * 1024)),
            ));
        }
        let actual = sniff(&p.bytes)
            .ok_or_else(|| ValidationError::new("proof_file", "must be a PDF, PNG or JPEG file"))?;
        let declared = p
            .content_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if !declared.is_empty() && declared != "application/octet-stream" && declared != actual {
            return Err(ValidationError::new(
                "proof_file",
                format!("is declared {declared} but its content is {actual}"),
            ));
        }
        let filename = BoundedText::new(&p.filename, "proof_file.filename", 200)?.into_inner();
        Ok(ProofFile {
            id: FileId::generate(now),
            payment_id: payment.clone(),
            filename,
            content_type: actual.to_owned(),
            sha256: hex::encode(Sha256::digest(&p.bytes)),
            data: p.bytes,
            created_at: now,
        })
    }

    /// The operator found the money: payment succeeded, invoice paid (or partly), credits
    /// granted — exactly once, however often or concurrently this is called.
    pub async fn approve(
        &self,
        ctx: &RequestContext,
        payment_id: &str,
        input: ApproveInput,
    ) -> BillingResult<Payment> {
        ctx.principal.ensure_admin()?;
        let id = PaymentId::parse(payment_id, "id")?;
        let note =
            BoundedText::optional(input.note.as_deref(), "note", 500)?.map(BoundedText::into_inner);
        if input
            .amount_received
            .is_some_and(|a| !(1..=crate::types::money::MAX_AMOUNT_MINOR).contains(&a))
        {
            return Err(ValidationError::new(
                "amount_received",
                "must be a positive amount in minor units",
            )
            .into());
        }
        let actor = ctx.principal.actor();
        for _ in 0..crate::services::payment_context::MAX_ATTEMPTS {
            let current = self.deps.payment(&id).await?;
            if !current.method.is_manual() {
                return Err(BillingError::conflict(
                    "not_a_manual_payment",
                    format!("payment {id} is paid through {}", current.method),
                ));
            }
            if matches!(
                current.status,
                PaymentStatus::Succeeded
                    | PaymentStatus::PartiallyRefunded
                    | PaymentStatus::Refunded
            ) {
                return Ok(current); // approved before: change nothing
            }
            if !matches!(
                current.status,
                PaymentStatus::PendingApproval | PaymentStatus::AwaitingTransfer
            ) {
                return Err(BillingError::InvalidTransition {
                    entity: "payment",
                    from: current.status.to_string(),
                    to: "succeeded".into(),
                });
            }
            let invoice = self
                .deps
                .repos
                .invoices
                .get(&current.invoice_id)
                .await?
                .ok_or_else(|| BillingError::Internal("payment without invoice".into()))?;
            let received = input.amount_received.unwrap_or(current.amount);
            let now = self.deps.clock.now();
            let mut after = current.clone();
            after.amount_received = received;
            after.status = PaymentStatus::Succeeded;
            let audit = ctx.audit(
                now,
                "payment.approve",
                "payment",
                id.as_str(),
                note.as_deref(),
                Some(&current),
                Some(&after),
            );
            let change = settle_succeeded(
                &current,
                &invoice,
                received,
                None,
                &actor,
                note.clone(),
                now,
                Some(audit),
            )?;
            if let crate::ports::PaymentChangeOutcome::Applied { .. } =
                self.deps.flow.apply_payment_change(&change).await?
            {
                crate::services::gateway_outcomes::paid_hook(&self.deps, &change).await;
                return Ok(change.payment);
            }
        }
        Err(BillingError::conflict(
            "concurrent_update",
            format!("payment {id} changed concurrently; retry"),
        ))
    }

    /// The operator did not find the money: `pending_approval` → `rejected`, with the reason
    /// shown to the payer. The invoice stays pending, so the payer can submit again.
    pub async fn reject(
        &self,
        ctx: &RequestContext,
        payment_id: &str,
        reason: Option<&str>,
    ) -> BillingResult<Payment> {
        ctx.principal.ensure_admin()?;
        let id = PaymentId::parse(payment_id, "id")?;
        let reason = BoundedText::new(required(reason, "reason")?, "reason", 500)?.into_inner();
        let actor = ctx.principal.actor();
        let now = self.deps.clock.now();
        let (p, _) = self
            .deps
            .guarded(&id, |current| {
                if current.status == PaymentStatus::Rejected
                    && current.failure_reason.as_deref() == Some(reason.as_str())
                {
                    return Ok(None);
                }
                let mut next = current.clone();
                transition(
                    &mut next,
                    PaymentStatus::Rejected,
                    &actor,
                    Some(reason.clone()),
                    now,
                )?;
                next.failure_reason = Some(reason.clone());
                let audit = ctx.audit(
                    now,
                    "payment.reject",
                    "payment",
                    current.id.as_str(),
                    Some(&reason),
                    Some(&current),
                    Some(&next),
                );
                let event = crate::services::payment_events::rejected(&next, &reason, now);
                Ok(Some(PaymentChange {
                    audit: Some(audit),
                    events: vec![event],
                    ..PaymentChange::payment_only(next, &current)
                }))
            })
            .await?;
        Ok(p)
    }

    /// Cancels manual payments nobody paid in time. Their invoice stays pending (it may be
    /// paid another way, or voided by an operator). Returns how many payments were canceled.
    pub async fn expire_due(&self, limit: u32) -> BillingResult<u64> {
        let now = self.deps.clock.now();
        let due = self.deps.flow.payments_due_for_expiry(now, limit).await?;
        let mut n = 0;
        for p in due {
            let mut next = p.clone();
            if transition(
                &mut next,
                PaymentStatus::Canceled,
                "system",
                Some("expired unpaid".into()),
                now,
            )
            .is_err()
            {
                continue;
            }
            let change = PaymentChange::payment_only(next, &p);
            if let crate::ports::PaymentChangeOutcome::Applied { .. } =
                self.deps.flow.apply_payment_change(&change).await?
            {
                n += 1;
            }
        }
        Ok(n)
    }
}
