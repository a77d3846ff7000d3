//! Payments: the list (method, status, refunds), one payment's page, and the confirmation
//! page a gateway checkout returns to. That page shows what the store says — the webhook's
//! verdict — and refreshes itself until the payment settles; a redirect back from the
//! gateway proves nothing by itself.

use actix_web::web::{Data, Path, Query, ServiceConfig};
use actix_web::{HttpResponse, get};
use askama::Template;
use billing_domain::entities::{Payment, PaymentStatus};
use billing_domain::ports::PaymentFilter;
use billing_domain::types::PageRequest;
use serde::Deserialize;

use crate::format::{self, Badge};
use crate::layout::Layout;
use crate::pages::views::PaymentRow;
use crate::pages::{account, next_cursor, ok, see_other};
use crate::session::PortalRequest;
use crate::{PageError, Portal};

pub(crate) fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list)
        .service(checkout_return)
        .service(status)
        .service(detail);
}

struct RefundView {
    date: String,
    amount: String,
    badge: &'static str,
    reason: String,
}

#[derive(Template)]
#[template(path = "payments.html")]
struct PaymentsPage {
    layout: Layout,
    rows: Vec<(PaymentRow, Vec<RefundView>)>,
    next: String,
}

#[derive(Deserialize)]
struct ListQuery {
    after: Option<String>,
}

#[get("/payments")]
async fn list(
    portal: Data<Portal>,
    r: PortalRequest,
    q: Query<ListQuery>,
) -> Result<HttpResponse, PageError> {
    let acct = account(&portal, &r).await?;
    let page = portal
        .payments
        .payments
        .list(
            &r.ctx,
            Some(r.account()),
            PaymentFilter::default(),
            &PageRequest {
                limit: 25,
                starting_after: q.after.clone(),
            },
        )
        .await?;
    // The names the account's country gives its methods ("SEPA bank transfer"), where it
    // still offers them; otherwise the generic name.
    let names: std::collections::HashMap<_, _> = portal
        .services
        .payment_methods
        .available(&r.ctx, r.account(), None, None)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|m| (m.method, m.display_name.to_string()))
        .collect();
    let mut rows = Vec::new();
    for p in &page.data {
        let refunds = if p.amount_refunded > 0 {
            portal
                .payments
                .payments
                .refunds(&r.ctx, Some(r.account()), p.id.as_str())
                .await?
                .into_iter()
                .map(|f| RefundView {
                    date: format::date(f.created_at),
                    amount: format::money(f.amount, f.currency),
                    badge: f.status.as_str(),
                    reason: f.reason,
                })
                .collect()
        } else {
            Vec::new()
        };
        let mut row = PaymentRow::new(p);
        if let Some(name) = names.get(&p.method) {
            row.method.clone_from(name);
        }
        rows.push((row, refunds));
    }
    let next = next_cursor(&page, |p| p.id.to_string());
    ok(&PaymentsPage {
        layout: Layout::new(&r, acct.name.as_str(), "Payments", "payments"),
        rows,
        next,
    })
}

/// The live part of the confirmation page: polled by htmx while the payment is open.
#[derive(Template)]
#[template(path = "_payment_status.html")]
pub(crate) struct StatusFragment {
    id: String,
    badge: Badge,
    state: &'static str,
    gateway: &'static str,
    failure: String,
    invoice_id: String,
}

impl StatusFragment {
    fn new(p: &Payment) -> Self {
        let state = match p.status {
            PaymentStatus::Succeeded
            | PaymentStatus::PartiallyRefunded
            | PaymentStatus::Refunded => "paid",
            PaymentStatus::Failed | PaymentStatus::Canceled | PaymentStatus::Rejected => "failed",
            _ => "processing",
        };
        Self {
            id: p.id.to_string(),
            badge: format::payment_badge(p.status),
            state,
            gateway: format::method_name(p.method),
            failure: p.failure_reason.clone().unwrap_or_default(),
            invoice_id: p.invoice_id.to_string(),
        }
    }
}

#[derive(Template)]
#[template(path = "confirmation.html")]
struct ConfirmationPage {
    layout: Layout,
    amount: String,
    method: &'static str,
    created: String,
    state: &'static str,
    status_html: String,
}

#[get("/payments/{id}")]
async fn detail(
    portal: Data<Portal>,
    r: PortalRequest,
    id: Path<String>,
) -> Result<HttpResponse, PageError> {
    let p = own_payment(&portal, &r, &id).await?;
    if p.method.is_manual() {
        return crate::pages::manual::render(
            &portal,
            &r,
            p,
            Default::default(),
            Default::default(),
        )
        .await;
    }
    let acct = account(&portal, &r).await?;
    let fragment = StatusFragment::new(&p);
    ok(&ConfirmationPage {
        layout: Layout::new(&r, acct.name.as_str(), "Payment", "payments"),
        amount: format::money(p.amount, p.currency),
        method: format::method_name(p.method),
        created: format::datetime(p.created_at),
        state: fragment.state,
        status_html: fragment
            .render()
            .map_err(|e| PageError::Internal(e.to_string()))?,
    })
}

#[get("/payments/{id}/status")]
async fn status(
    portal: Data<Portal>,
    r: PortalRequest,
    id: Path<String>,
) -> Result<HttpResponse, PageError> {
    let p = own_payment(&portal, &r, &id).await?;
    ok(&StatusFragment::new(&p))
}

/// One of the session's account's payments (another account's is a 404, by the domain).
pub(crate) async fn own_payment(
    portal: &Portal,
    r: &PortalRequest,
    id: &str,
) -> Result<Payment, PageError> {
    Ok(portal
        .payments
        .payments
        .get(&r.ctx, Some(r.account()), id)
        .await?)
}

#[derive(Deserialize)]
struct ReturnQuery {
    payment_id: Option<String>,
}

/// Where Stripe's success URL and the PayPal return page point: the payment named by the
/// gateway return (PayPal appends `payment_id`), else this account's latest card or PayPal
/// payment. The page it leads to waits for the webhook.
#[get("/checkout/return")]
async fn checkout_return(
    portal: Data<Portal>,
    r: PortalRequest,
    q: Query<ReturnQuery>,
) -> Result<HttpResponse, PageError> {
    if let Some(id) = &q.payment_id {
        let p = own_payment(&portal, &r, id).await?;
        return Ok(see_other(&format!("/portal/payments/{}", p.id)));
    }
    let recent = portal
        .payments
        .payments
        .list(
            &r.ctx,
            Some(r.account()),
            PaymentFilter::default(),
            &PageRequest::first(20),
        )
        .await?;
    Ok(match recent.data.iter().find(|p| !p.method.is_manual()) {
        Some(p) => see_other(&format!("/portal/payments/{}", p.id)),
        None => see_other("/portal/payments"),
    })
}
