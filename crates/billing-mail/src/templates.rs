//! The mail templates (billing-domain's `MailTemplates` port) on askama: one HTML and one
//! plain-text template per message kind under `templates/mail/`, compiled into the binary.
//! HTML templates escape every value; the text templates print values as they are.

use askama::Template;
use billing_domain::entities::EmailKind;
use billing_domain::ports::{MailContent, MailTemplates, RenderedMail, TemplateError};

/// The optional values of a message as plain strings (empty when unset), so the templates
/// read `v.amount` instead of unwrapping options.
struct Values<'a> {
    amount: &'a str,
    invoice: &'a str,
    method: &'a str,
    reference: &'a str,
    reason: &'a str,
    date: &'a str,
    plan: &'a str,
    balance: &'a str,
    threshold: &'a str,
    still_due: &'a str,
}

impl<'a> Values<'a> {
    fn of(c: &'a MailContent) -> Self {
        let s = |o: &'a Option<String>| o.as_deref().unwrap_or_default();
        Self {
            amount: s(&c.amount),
            invoice: s(&c.invoice_number),
            method: s(&c.method),
            reference: s(&c.reference),
            reason: s(&c.reason),
            date: s(&c.date),
            plan: s(&c.plan),
            balance: s(&c.balance),
            threshold: s(&c.threshold),
            still_due: s(&c.still_due),
        }
    }
}

/// Declares the HTML and text template of a kind; both see `c` (the content) and `v` (its
/// values), the HTML one `subject` too (its `<title>`).
macro_rules! templates {
    ($($kind:ident: $html:ident = $hp:literal, $text:ident = $tp:literal;)*) => {
        $(
            #[derive(Template)]
            #[template(path = $hp)]
            struct $html<'a> {
                c: &'a MailContent,
                v: &'a Values<'a>,
                subject: &'a str,
            }

            #[derive(Template)]
            #[template(path = $tp)]
            struct $text<'a> {
                c: &'a MailContent,
                v: &'a Values<'a>,
            }
        )*

        /// Renders both bodies of `c`.
        fn bodies(c: &MailContent, v: &Values<'_>, subject: &str) -> askama::Result<(String, String)> {
            Ok(match c.kind {
                $(EmailKind::$kind => (
                    $html { c, v, subject }.render()?,
                    $text { c, v }.render()?,
                ),)*
            })
        }
    };
}

templates! {
    PaymentInstructions: InstructionsHtml = "mail/payment_instructions.html",
        InstructionsText = "mail/payment_instructions.txt";
    PaymentApproved: ApprovedHtml = "mail/payment_approved.html",
        ApprovedText = "mail/payment_approved.txt";
    PaymentRejected: RejectedHtml = "mail/payment_rejected.html",
        RejectedText = "mail/payment_rejected.txt";
    PaymentReceipt: ReceiptHtml = "mail/payment_receipt.html",
        ReceiptText = "mail/payment_receipt.txt";
    InvoiceIssued: IssuedHtml = "mail/invoice_issued.html", IssuedText = "mail/invoice_issued.txt";
    RefundIssued: RefundHtml = "mail/refund_issued.html", RefundText = "mail/refund_issued.txt";
    LowBalance: LowBalanceHtml = "mail/low_balance.html", LowBalanceText = "mail/low_balance.txt";
    RenewalPaid: RenewalHtml = "mail/renewal_paid.html", RenewalText = "mail/renewal_paid.txt";
    PaymentFailed: FailedHtml = "mail/payment_failed.html", FailedText = "mail/payment_failed.txt";
    TrialEnding: TrialHtml = "mail/trial_ending.html", TrialText = "mail/trial_ending.txt";
    SubscriptionCanceled: CanceledHtml = "mail/subscription_canceled.html",
        CanceledText = "mail/subscription_canceled.txt";
}

/// The subject line of `c`.
fn subject(c: &MailContent, v: &Values<'_>) -> String {
    let seller = &c.seller.legal_name;
    let invoice = |prefix: &str| {
        if v.invoice.is_empty() {
            String::new()
        } else {
            format!("{prefix}{}", v.invoice)
        }
    };
    let plan = if v.plan.is_empty() { "" } else { v.plan };
    let spaced = |s: &str| {
        if s.is_empty() {
            String::new()
        } else {
            format!("{s} ")
        }
    };
    match c.kind {
        EmailKind::PaymentInstructions => {
            format!("How to pay {}{}", v.amount, invoice(" for invoice "))
        }
        EmailKind::PaymentApproved => format!("Payment received{}", invoice(" for invoice ")),
        EmailKind::PaymentRejected => {
            format!(
                "We could not confirm your payment{}",
                invoice(" for invoice ")
            )
        }
        EmailKind::PaymentReceipt => format!("Receipt{} from {seller}", invoice(" for invoice ")),
        EmailKind::InvoiceIssued => {
            let due = if v.date.is_empty() {
                String::new()
            } else {
                format!(", due {}", v.date)
            };
            format!("Invoice{} from {seller}: {}{due}", invoice(" "), v.amount)
        }
        EmailKind::RefundIssued => format!("Refund of {} issued", v.amount),
        EmailKind::LowBalance => format!("Your credit balance is low: {}", v.balance),
        EmailKind::RenewalPaid => format!("Your {}subscription has renewed", spaced(plan)),
        EmailKind::PaymentFailed => format!(
            "Payment failed for your {}subscription — action needed",
            spaced(plan)
        ),
        EmailKind::TrialEnding if !v.date.is_empty() => {
            format!("Your {}trial ends on {}", spaced(plan), v.date)
        }
        EmailKind::TrialEnding => format!("Your {}trial ends soon", spaced(plan)),
        EmailKind::SubscriptionCanceled => {
            format!("Your {}subscription is canceled", spaced(plan))
        }
    }
}

/// The askama templates compiled into the binary.
#[derive(Debug, Clone, Copy, Default)]
pub struct AskamaTemplates;

impl MailTemplates for AskamaTemplates {
    fn render(&self, content: &MailContent) -> Result<RenderedMail, TemplateError> {
        let v = Values::of(content);
        let subject = subject(content, &v);
        let (html, text) = bodies(content, &v, &subject).map_err(|e| TemplateError {
            kind: content.kind,
            message: e.to_string(),
        })?;
        Ok(RenderedMail {
            subject,
            text,
            html,
        })
    }
}
