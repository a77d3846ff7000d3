//! One guarded step of a payment flow ([`PaymentChange`]) on the memory store: every guard
//! and key is checked first, then everything is written, so a failure writes nothing.

use billing_domain::entities::{Payment, Refund};
use billing_domain::error::RepoError;
use billing_domain::ports::{PaymentChange, PaymentChangeOutcome, RefundUpdate};

use super::ledger::post;
use super::state::{State, exists};

/// `Conflict` if `payment` would take another payment's manual reference.
pub(super) fn check_reference(s: &State, payment: &Payment) -> Result<(), RepoError> {
    match &payment.reference {
        Some(r)
            if s.payments
                .values()
                .any(|p| p.id != payment.id && p.reference.as_ref() == Some(r)) =>
        {
            Err(RepoError::Conflict(format!(
                "payment reference {r} is taken"
            )))
        }
        _ => Ok(()),
    }
}

/// Applies one flow step: checks every guard and key first, then writes everything.
pub(super) fn apply(s: &mut State, c: &PaymentChange) -> Result<PaymentChangeOutcome, RepoError> {
    let Some(stored) = s.payments.get(&c.payment.id) else {
        return Ok(PaymentChangeOutcome::Stale);
    };
    if !c.guard.admits(
        stored.status,
        stored.amount_received,
        stored.amount_refunded,
    ) {
        return Ok(PaymentChangeOutcome::Stale);
    }
    let created_at = stored.created_at;
    if let Some(ic) = &c.invoice {
        match s.invoices.get(&ic.invoice.id) {
            Some(i) if ic.admits(i.status, i.amount_paid) => {}
            _ => return Ok(PaymentChangeOutcome::Stale),
        }
    }
    check_reference(s, &c.payment)?;
    if let Some(r) = &c.refund
        && s.refunds.contains_key(&r.id)
    {
        return Err(exists("refund", &r.id));
    }
    if let Some(u) = &c.refund_update
        && !u.admits(s.refunds.get(&u.id).map(|r| r.status))
    {
        return Ok(PaymentChangeOutcome::Stale);
    }
    if let Some(r) = &c.refund {
        s.check_gateway_refund_id(r.gateway_refund_id.as_ref(), &r.id)?;
    }
    if let Some(u) = &c.refund_update
        && s.refunds
            .get(&u.id)
            .is_some_and(|r| r.gateway_refund_id.is_none())
    {
        s.check_gateway_refund_id(u.gateway_refund_id.as_ref(), &u.id)?;
    }
    if let Some(f) = &c.proof
        && s.proofs.contains_key(&f.id)
    {
        return Err(exists("file", &f.id));
    }
    s.check_audit(c.audit.as_ref())?;
    s.check_events(&c.events)?;
    // The posting is the only step that can still fail; it goes first so a failure writes nothing else.
    let posting = c.posting.as_ref().map(|p| post(s, p)).transpose()?;
    let refund = match c.refund_to_insert(posting.as_ref()) {
        Some(r) => {
            s.refunds.insert(r.id.clone(), r.clone());
            Some(r)
        }
        None => c.refund_update.as_ref().and_then(|u| update_refund(s, u)),
    };
    s.payments.insert(
        c.payment.id.clone(),
        Payment {
            created_at,
            ..c.payment.clone()
        },
    );
    if let Some(ic) = &c.invoice {
        s.invoices.insert(ic.invoice.id.clone(), ic.invoice.clone());
    }
    if let Some(f) = &c.proof {
        s.proofs.insert(f.id.clone(), f.clone());
    }
    s.put_audit(c.audit.as_ref());
    s.put_events(&c.events);
    Ok(PaymentChangeOutcome::Applied { posting, refund })
}

/// Applies a (checked) refund update; returns the refund as stored.
fn update_refund(s: &mut State, u: &RefundUpdate) -> Option<Refund> {
    let r = s.refunds.get_mut(&u.id)?;
    u.apply_to(r);
    Some(r.clone())
}
