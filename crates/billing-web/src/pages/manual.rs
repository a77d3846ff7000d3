//! The manual payment page: the country's instructions, the bank or wallet details, the
//! exact amount and reference (with copy buttons), the due date, the form to confirm the
//! transfer (with a proof upload) and the status timeline.

use actix_web::http::StatusCode;
use actix_web::web::{Bytes, Data, Path, ServiceConfig};
use actix_web::{HttpRequest, HttpResponse, post};
use askama::Template;
use billing_domain::entities::invoice_document::transfer_details;
use billing_domain::entities::{Payment, PaymentStatus};
use billing_domain::services::manual_payments::{ConfirmationInput, ProofUpload};

use crate::format::{self, Badge};
use crate::forms::{self, FieldErrors, Fields};
use crate::layout::Layout;
use crate::multipart;
use crate::pages::{account, html, see_other};
use crate::session::PortalRequest;
use crate::{PageError, Portal};

pub(crate) fn configure(cfg: &mut ServiceConfig) {
    cfg.service(confirm);
}

struct Step {
    label: String,
    when: String,
    note: String,
    class: &'static str,
}

#[derive(Template)]
#[template(path = "manual.html")]
struct ManualPage {
    layout: Layout,
    id: String,
    state: &'static str,
    badge: Badge,
    method: &'static str,
    amount: String,
    amount_major: String,
    reference: String,
    due: String,
    overdue: bool,
    instructions: String,
    rows: Vec<(String, String)>,
    rejection: String,
    can_confirm: bool,
    steps: Vec<Step>,
    form: Fields,
    errors: FieldErrors,
    max_mib: String,
    today: String,
    invoice_id: String,
}

fn steps(p: &Payment) -> Vec<Step> {
    let mut out = Vec::new();
    for h in &p.history {
        let (label, class) = match h.status {
            PaymentStatus::AwaitingTransfer => ("Awaiting your transfer", "done"),
            PaymentStatus::PendingApproval => ("Transfer reported, being checked", "done"),
            PaymentStatus::Succeeded => ("Approved — credits added", "done"),
            PaymentStatus::Rejected => ("Rejected", "failed"),
            PaymentStatus::Canceled => ("Canceled", "failed"),
            PaymentStatus::Failed => ("Expired unpaid", "failed"),
            PaymentStatus::PartiallyRefunded => ("Partly refunded", "done"),
            PaymentStatus::Refunded => ("Refunded", "done"),
            _ => continue,
        };
        out.push(Step {
            label: label.to_owned(),
            when: format::datetime(h.at),
            note: if h.status == PaymentStatus::Rejected {
                h.note.clone().unwrap_or_default()
            } else {
                String::new()
            },
            class,
        });
    }
    if let Some(last) = out.last_mut()
        && last.class == "done"
    {
        last.class = "current";
    }
    let next = match p.status {
        PaymentStatus::AwaitingTransfer => Some("Tell us you have paid"),
        PaymentStatus::PendingApproval => {
            Some("Approval by our team (usually within a business day)")
        }
        PaymentStatus::Rejected => Some("Send the transfer again or correct the details"),
        _ => None,
    };
    if let Some(n) = next {
        out.push(Step {
            label: n.to_owned(),
            when: String::new(),
            note: String::new(),
            class: "",
        });
    }
    out
}

/// The manual payment page for `p` (already checked to be the session's), with the form as
/// posted and its errors.
pub(crate) async fn render(
    portal: &Portal,
    r: &PortalRequest,
    p: Payment,
    form: Fields,
    errors: FieldErrors,
) -> Result<HttpResponse, PageError> {
    let acct = account(portal, r).await?;
    let now = portal.services.clock.now();
    let details = p.next_action.as_ref().and_then(transfer_details);
    let state = match p.status {
        PaymentStatus::AwaitingTransfer => "awaiting_transfer",
        PaymentStatus::PendingApproval => "pending_approval",
        PaymentStatus::Succeeded | PaymentStatus::PartiallyRefunded | PaymentStatus::Refunded => {
            "approved"
        }
        PaymentStatus::Rejected => "rejected",
        _ => "closed",
    };
    let rejection = if p.status == PaymentStatus::Rejected {
        p.history
            .iter()
            .rev()
            .find(|h| h.status == PaymentStatus::Rejected)
            .and_then(|h| h.note.clone())
            .or_else(|| p.failure_reason.clone())
            .unwrap_or_default()
    } else {
        String::new()
    };
    let status = if errors.any() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = ManualPage {
        layout: Layout::new(
            r,
            acct.name.as_str(),
            format!("Pay by {}", format::method_name(p.method).to_lowercase()),
            "payments",
        ),
        id: p.id.to_string(),
        state,
        badge: format::payment_badge(p.status),
        method: format::method_name(p.method),
        amount: format::money(p.amount, p.currency),
        amount_major: major(p.amount, p.currency.exponent()),
        reference: p.reference.clone().unwrap_or_default(),
        due: p.expires_at.map(format::date).unwrap_or_default(),
        overdue: p.expires_at.is_some_and(|e| e < now),
        instructions: details
            .as_ref()
            .and_then(|d| d.instructions.clone())
            .unwrap_or_default(),
        // Amount and reference are shown, with copy buttons, beside the details.
        rows: details
            .map(|d| d.rows)
            .unwrap_or_default()
            .into_iter()
            .filter(|(label, _)| label != "Amount" && label != "Reference")
            .collect(),
        rejection,
        can_confirm: matches!(
            p.status,
            PaymentStatus::AwaitingTransfer | PaymentStatus::Rejected
        ),
        steps: steps(&p),
        form,
        errors,
        max_mib: format!("{}", portal.settings.max_proof_bytes / (1024 * 1024)),
        today: format::iso_date(now),
        invoice_id: p.invoice_id.to_string(),
    };
    Ok(html(status, &page))
}

#[post("/payments/{id}/confirmation")]
async fn confirm(
    req: HttpRequest,
    portal: Data<Portal>,
    r: PortalRequest,
    id: Path<String>,
    body: Bytes,
) -> Result<HttpResponse, PageError> {
    let content_type = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let (form, proof) = match multipart::boundary(content_type) {
        Some(b) => {
            let parts = multipart::parse(&body, &b).ok_or(PageError::Refused)?;
            let proof = parts.files.get("proof_file").map(|f| ProofUpload {
                filename: if f.filename.is_empty() {
                    "proof".into()
                } else {
                    f.filename.clone()
                },
                content_type: f.content_type.clone(),
                bytes: f.bytes.clone(),
            });
            (Fields(parts.fields), proof)
        }
        None => (Fields::parse(&body)?, None),
    };
    forms::check(&req, &r, form.get(forms::CSRF_FIELD).as_deref())?;
    let payment = crate::pages::payments::own_payment(&portal, &r, &id).await?;
    let amount = match form
        .get("amount")
        .map(|a| parse_amount(&a, payment.currency.exponent()))
    {
        Some(Some(minor)) => Some(minor),
        Some(None) => {
            let errors = FieldErrors(vec![(
                "amount".into(),
                format!(
                    "Enter the amount you sent, like {}",
                    example(payment.currency.exponent())
                ),
            )]);
            return render(&portal, &r, payment, form, errors).await;
        }
        None => None,
    };
    let input = ConfirmationInput {
        reference: form.get("reference"),
        amount,
        paid_on: form.get("paid_on"),
        payer_name: form.get("payer_name"),
        proof_url: None,
        note: form.get("note"),
    };
    let known = [
        "reference",
        "amount",
        "paid_on",
        "payer_name",
        "note",
        "proof_file",
    ];
    match portal
        .payments
        .manual
        .submit_confirmation(&r.ctx, r.account(), &id, input, proof)
        .await
    {
        Ok(p) => Ok(see_other(&format!("/portal/payments/{}", p.id))),
        Err(e) => {
            let errors = forms::field_error(e, &known)?;
            render(&portal, &r, payment, form, errors).await
        }
    }
}

/// `123450`, exponent 2 → `1234.50` (what the amount field is prefilled with).
fn major(minor: i64, exponent: u8) -> String {
    let unit = 10_i64.pow(u32::from(exponent));
    match exponent {
        0 => minor.to_string(),
        e => format!("{}.{:0w$}", minor / unit, minor % unit, w = usize::from(e)),
    }
}

fn example(exponent: u8) -> String {
    match exponent {
        0 => "1500".to_owned(),
        e => format!("15.{}", "0".repeat(usize::from(e))),
    }
}

/// `"1,234.50"` in a currency with `exponent` 2 → `123450` minor units; `None` when it is
/// not a plain decimal number with at most `exponent` decimals.
fn parse_amount(text: &str, exponent: u8) -> Option<i64> {
    let clean: String = text
        .chars()
        .filter(|c| !matches!(c, ',' | ' ' | '\u{a0}'))
        .collect();
    let (whole, frac) = clean.split_once('.').unwrap_or((&clean, ""));
    let exp = usize::from(exponent);
    if whole.is_empty()
        || frac.len() > exp
        || !whole
            .chars()
            .chain(frac.chars())
            .all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let padded = format!("{frac:0<exp$}");
    let unit = 10_i64.checked_pow(u32::from(exponent))?;
    whole
        .parse::<i64>()
        .ok()?
        .checked_mul(unit)?
        .checked_add(if padded.is_empty() {
            0
        } else {
            padded.parse().ok()?
        })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::{major, parse_amount};

    #[test]
    fn prefilled_amounts_round_trip() {
        assert_eq!(major(123_450, 2), "1234.50");
        assert_eq!(major(500, 0), "500");
        assert_eq!(major(1_500, 3), "1.500");
        assert_eq!(parse_amount(&major(98_765, 2), 2), Some(98_765));
    }

    #[test]
    fn amounts_are_read_exactly_in_the_currency_exponent() {
        assert_eq!(parse_amount("1,234.50", 2), Some(123_450));
        assert_eq!(parse_amount("12", 2), Some(1200));
        assert_eq!(parse_amount("12.5", 2), Some(1250));
        assert_eq!(parse_amount("500", 0), Some(500));
        assert_eq!(parse_amount("1.5", 0), None);
        assert_eq!(parse_amount("1.234", 2), None);
        assert_eq!(parse_amount("-5", 2), None);
        assert_eq!(parse_amount("1e3", 2), None);
        assert_eq!(parse_amount("99999999999999999999", 2), None);
    }
}
