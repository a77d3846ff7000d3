//! Which e-mail an outbox event calls for, and what it says. The one table of
//! event → message (also in `docs/notifications.md`):
//!
//! | event | message | PDF |
//! |---|---|---|
//! | `payment.awaiting_transfer` | payment instructions | yes |
//! | `payment.succeeded`, manual method | payment approved | yes |
//! | `payment.succeeded`, a subscription period's invoice | renewal paid | yes |
//! | `payment.succeeded`, otherwise | payment receipt | yes |
//! | `payment.rejected` | payment rejected | no |
//! | `refund.succeeded` | refund issued | no |
//! | `credits.low_balance` | low balance | no |
//! | `invoice.finalized`; `invoice.sent` with a pay link | invoice issued | yes |
//! | `invoice.payment_failed` | payment failed | no |
//! | `subscription.trial_will_end` | trial ending | no |
//! | `subscription.canceled` | subscription canceled | no |
//!
//! `invoice.sent` for a manual method sends nothing: the payment's own
//! `payment.awaiting_transfer` brings the instructions. Every other event sends nothing.

use serde_json::Value;

use crate::entities::invoice_document::{
    format_amount, format_credits, format_date, transfer_details,
};
use crate::entities::{
    Account, EmailKind, Invoice, InvoiceReason, NextAction, OutboxEvent, Payment, PaymentMethodKind,
};
use crate::error::BillingResult;
use crate::ports::{DetailRow, MailContent};
use crate::types::{InvoiceId, PaymentId, RefundId, SubscriptionId};

use super::NotificationService;

/// A message an event calls for, before rendering.
pub(super) struct Planned {
    /// What it says.
    pub content: MailContent,
    /// To whom: the billing e-mail and name of this account.
    pub account: Account,
    /// The invoice whose PDF goes with it.
    pub attach: Option<InvoiceId>,
}

impl NotificationService {
    /// The message `event` calls for; `None` for an event that sends none, or whose account,
    /// billing profile, payment or invoice is gone.
    pub(super) async fn plan(&self, event: &OutboxEvent) -> BillingResult<Option<Planned>> {
        let Some(account_id) = &event.account_id else {
            return Ok(None);
        };
        let Some(account) = self.deps.repos.accounts.get(account_id).await? else {
            return Ok(None);
        };
        let Some(profile) = account.billing_profile.clone() else {
            return Ok(None);
        };
        let p = &event.payload;
        // A name typed with line breaks greets on one line.
        let name = profile
            .legal_name
            .to_string()
            .replace("\r\n", " ")
            .replace(['\r', '\n'], " ");
        let new = |kind| MailContent::new(kind, (*self.seller).clone(), name.clone());
        let (content, attach) = match event.kind.as_str() {
            "payment.awaiting_transfer" => {
                let Some((payment, invoice)) = self.payment_and_invoice(p).await? else {
                    return Ok(None);
                };
                let mut c = new(EmailKind::PaymentInstructions);
                self.describe_payment(&mut c, &payment, &invoice);
                c.amount = Some(format_amount(payment.amount, payment.currency));
                c.date = payment.expires_at.or(invoice.due_at).map(format_date);
                if let Some(t) = payment.next_action.as_ref().and_then(transfer_details) {
                    c.instructions = t.instructions;
                    c.details = t
                        .rows
                        .into_iter()
                        .map(|(label, value)| DetailRow { label, value })
                        .collect();
                }
                (c, Some(invoice))
            }
            "payment.succeeded" => {
                let Some((payment, invoice)) = self.payment_and_invoice(p).await? else {
                    return Ok(None);
                };
                let kind = if payment.method.is_manual() {
                    EmailKind::PaymentApproved
                } else if invoice.billing_reason == InvoiceReason::SubscriptionCycle {
                    EmailKind::RenewalPaid
                } else {
                    EmailKind::PaymentReceipt
                };
                let mut c = new(kind);
                self.describe_payment(&mut c, &payment, &invoice);
                c.amount = Some(format_amount(payment.amount_received, payment.currency));
                // What the payment left due when it was made (a partial payment), not now.
                c.still_due = p
                    .get("amount_due")
                    .and_then(Value::as_i64)
                    .filter(|due| *due > 0)
                    .map(|due| format_amount(due, invoice.currency));
                c.date = Some(format_date(event.created_at));
                c.plan = self.plan_name_of(&invoice).await?;
                (c, Some(invoice))
            }
            "payment.rejected" => {
                let Some((payment, invoice)) = self.payment_and_invoice(p).await? else {
                    return Ok(None);
                };
                let mut c = new(EmailKind::PaymentRejected);
                self.describe_payment(&mut c, &payment, &invoice);
                c.amount = Some(format_amount(payment.amount, payment.currency));
                c.reason = str_of(p, "reason");
                c.date = payment.expires_at.map(format_date);
                (c, None)
            }
            "refund.succeeded" => {
                let Some(id) = id_of(p, "refund_id", RefundId::parse) else {
                    return Ok(None);
                };
                let Some(refund) = self.deps.flow.find_refund(Some(id), None).await? else {
                    return Ok(None);
                };
                let mut c = new(EmailKind::RefundIssued);
                if let Some(payment) = self.deps.repos.payments.get(&refund.payment_id).await? {
                    c.method = Some(method_label(payment.method).into());
                    c.invoice_number = self.number_of(&payment.invoice_id).await?;
                }
                c.amount = Some(format_amount(refund.amount, refund.currency));
                c.reason = Some(refund.reason.clone());
                c.date = Some(format_date(event.created_at));
                (c, None)
            }
            "credits.low_balance" => {
                let mut c = new(EmailKind::LowBalance);
                c.balance = p.get("balance").and_then(Value::as_i64).map(format_credits);
                c.threshold = p
                    .get("threshold")
                    .and_then(Value::as_i64)
                    .map(format_credits);
                (c, None)
            }
            "invoice.finalized" | "invoice.sent" => {
                let pay_link = match p.get("next_action").cloned().map(serde_json::from_value) {
                    Some(Ok(NextAction::RedirectToUrl { url })) => Some(url),
                    _ => None,
                };
                if event.kind == "invoice.sent" && pay_link.is_none() {
                    return Ok(None);
                }
                let Some(invoice) = self.invoice_in(p).await? else {
                    return Ok(None);
                };
                let mut c = new(EmailKind::InvoiceIssued);
                c.invoice_number.clone_from(&invoice.number);
                c.amount = Some(format_amount(invoice.amount_due, invoice.currency));
                c.date = invoice.due_at.map(format_date);
                c.pay_link = pay_link;
                c.plan = self.plan_name_of(&invoice).await?;
                (c, Some(invoice))
            }
            "invoice.payment_failed" => {
                let Some(invoice) = self.invoice_in(p).await? else {
                    return Ok(None);
                };
                let mut c = new(EmailKind::PaymentFailed);
                c.invoice_number.clone_from(&invoice.number);
                c.amount = Some(format_amount(invoice.amount_due, invoice.currency));
                c.reason = str_of(p, "reason");
                c.date = time_of(p, "next_retry_at").map(format_date);
                c.pay_link = str_of(p, "pay_link");
                c.plan = self.plan_name_of(&invoice).await?;
                (c, None)
            }
            "subscription.trial_will_end" | "subscription.canceled" => {
                let trial = event.kind == "subscription.trial_will_end";
                let mut c = new(if trial {
                    EmailKind::TrialEnding
                } else {
                    EmailKind::SubscriptionCanceled
                });
                c.plan = match id_of(p, "subscription_id", SubscriptionId::parse) {
                    Some(s) => self.plan_name(&s).await?,
                    None => None,
                };
                let when = if trial {
                    "trial_end"
                } else {
                    "current_period_end"
                };
                c.date = time_of(p, when).map(format_date);
                c.reason = (!trial).then(|| cancel_reason(p)).flatten();
                (c, None)
            }
            _ => return Ok(None),
        };
        Ok(Some(Planned {
            content: MailContent {
                attachment: attach.as_ref().map(super::pdf_filename),
                ..content
            },
            account,
            attach: attach.map(|i| i.id),
        }))
    }

    /// The payment named in `payload` and its invoice.
    async fn payment_and_invoice(
        &self,
        payload: &Value,
    ) -> BillingResult<Option<(Payment, Invoice)>> {
        let Some(id) = id_of(payload, "payment_id", PaymentId::parse) else {
            return Ok(None);
        };
        let Some(payment) = self.deps.repos.payments.get(&id).await? else {
            return Ok(None);
        };
        let invoice = self.deps.repos.invoices.get(&payment.invoice_id).await?;
        Ok(invoice.map(|i| (payment, i)))
    }

    async fn invoice_in(&self, payload: &Value) -> BillingResult<Option<Invoice>> {
        match id_of(payload, "invoice_id", InvoiceId::parse) {
            Some(id) => Ok(self.deps.repos.invoices.get(&id).await?),
            None => Ok(None),
        }
    }

    async fn number_of(&self, id: &InvoiceId) -> BillingResult<Option<String>> {
        Ok(self
            .deps
            .repos
            .invoices
            .get(id)
            .await?
            .and_then(|i| i.number))
    }

    fn describe_payment(&self, c: &mut MailContent, payment: &Payment, invoice: &Invoice) {
        c.invoice_number.clone_from(&invoice.number);
        c.method = Some(method_label(payment.method).into());
        c.reference.clone_from(&payment.reference);
    }

    async fn plan_name_of(&self, invoice: &Invoice) -> BillingResult<Option<String>> {
        match invoice.subscription_period() {
            Some((sid, _)) => self.plan_name(sid).await,
            None => Ok(None),
        }
    }

    async fn plan_name(&self, sid: &SubscriptionId) -> BillingResult<Option<String>> {
        let Some(sub) = self.deps.repos.subscriptions.get(sid).await? else {
            return Ok(None);
        };
        let plan = self.deps.repos.plans.get(&sub.plan_id).await?;
        Ok(plan.map(|p| p.name.to_string()))
    }
}

/// How a method reads in a sentence: "paid by bank transfer".
pub(super) fn method_label(m: PaymentMethodKind) -> &'static str {
    match m {
        PaymentMethodKind::Stripe => "card",
        PaymentMethodKind::Paypal => "PayPal",
        PaymentMethodKind::BankTransfer => "bank transfer",
        PaymentMethodKind::LocalWallet => "mobile wallet",
    }
}

fn cancel_reason(p: &Value) -> Option<String> {
    let why = match p.get("reason").and_then(Value::as_str)? {
        "period_end" => "it was set to end at the close of its period",
        "payment_failed" => "its invoice stayed unpaid after every retry",
        "canceled_by_account" => "you canceled it",
        r if r.starts_with("canceled_by_") => "it was canceled by our team",
        _ => return None,
    };
    Some(why.into())
}

fn str_of(p: &Value, key: &str) -> Option<String> {
    p.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn time_of(p: &Value, key: &str) -> Option<time::OffsetDateTime> {
    let s = p.get(key).and_then(Value::as_str)?;
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
}

fn id_of<T, E>(p: &Value, key: &str, parse: fn(&str, &str) -> Result<T, E>) -> Option<T> {
    parse(p.get(key)?.as_str()?, key).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credits_are_grouped_and_counted() {
        assert_eq!(format_credits(1), "1 credit");
        assert_eq!(format_credits(120), "120 credits");
        assert_eq!(format_credits(1_234_567), "1,234,567 credits");
        assert_eq!(format_credits(-5), "−5 credits");
    }

    #[test]
    fn cancel_reasons_read_as_sentences() {
        let r = |s: &str| cancel_reason(&serde_json::json!({ "reason": s }));
        assert_eq!(r("canceled_by_account").as_deref(), Some("you canceled it"));
        assert_eq!(
            r("canceled_by_admin").as_deref(),
            Some("it was canceled by our team")
        );
        assert_eq!(r("unknown"), None);
    }
}
