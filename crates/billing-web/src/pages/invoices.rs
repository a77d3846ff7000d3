//! Invoices: the list (status filter, pagination), one invoice with its lines and totals,
//! paying what is due by a method the resolver offers for that amount, and the PDF.

use actix_web::http::StatusCode;
use actix_web::web::{Bytes, Data, Path, Query, ServiceConfig};
use actix_web::{HttpRequest, HttpResponse, get, post};
use askama::Template;
use billing_domain::entities::{InvoiceStatus, NextAction};
use billing_domain::ports::InvoiceFilter;
use billing_domain::services::purchases::PayInvoiceInput;
use billing_domain::types::PageRequest;
use serde::Deserialize;

use crate::format::{self, Badge};
use crate::forms::{self, FieldErrors, Fields};
use crate::layout::Layout;
use crate::pages::views::InvoiceRow;
use crate::pages::{account, html, next_cursor, no_rows, see_other};
use crate::session::PortalRequest;
use crate::{PageError, Portal};

pub(crate) fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list).service(pdf).service(detail).service(pay);
}

#[derive(Template)]
#[template(path = "invoices.html")]
struct InvoicesPage {
    layout: Layout,
    rows: Vec<InvoiceRow>,
    status: String,
    from: String,
    to: String,
    query: String,
    next: String,
    errors: FieldErrors,
}

#[derive(Deserialize)]
struct ListQuery {
    status: Option<String>,
    from: Option<String>,
    to: Option<String>,
    after: Option<String>,
}

#[get("/invoices")]
async fn list(
    portal: Data<Portal>,
    r: PortalRequest,
    q: Query<ListQuery>,
) -> Result<HttpResponse, PageError> {
    let acct = account(&portal, &r).await?;
    let status = q
        .status
        .as_deref()
        .filter(|s| !s.is_empty())
        .and_then(InvoiceStatus::parse);
    let mut errors = FieldErrors::default();
    let (from, to) = forms::date_range(q.from.as_deref(), q.to.as_deref(), &mut errors);
    let page = if errors.any() {
        no_rows()
    } else {
        let filter = InvoiceFilter {
            status,
            from,
            to,
            ..InvoiceFilter::default()
        };
        let cursor = PageRequest {
            limit: 25,
            starting_after: q.after.clone(),
        };
        portal
            .payments
            .invoices
            .list(&r.ctx, Some(r.account()), filter, &cursor)
            .await?
    };
    let now = portal.services.clock.now();
    let status = status.map(|s| s.as_str().to_owned()).unwrap_or_default();
    let (from, to) = (
        q.from.clone().unwrap_or_default(),
        q.to.clone().unwrap_or_default(),
    );
    let query = serde_urlencoded::to_string([("status", &status), ("from", &from), ("to", &to)])
        .unwrap_or_default();
    let code = if errors.any() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let next = next_cursor(&page, |i| i.id.to_string());
    Ok(html(
        code,
        &InvoicesPage {
            layout: Layout::new(&r, acct.name.as_str(), "Invoices", "invoices"),
            next,
            rows: page.data.iter().map(|i| InvoiceRow::new(i, now)).collect(),
            status,
            from,
            to,
            query,
            errors,
        },
    ))
}

struct LineView {
    description: String,
    period: String,
    quantity: String,
    unit: String,
    discount: String,
    amount: String,
}

struct MethodView {
    kind: String,
    name: String,
}

#[derive(Template)]
#[template(path = "invoice.html")]
struct InvoicePage {
    layout: Layout,
    row: InvoiceRow,
    badge: Badge,
    lines: Vec<LineView>,
    subtotal: String,
    discount: String,
    paid: String,
    issued: String,
    billed_to: Vec<String>,
    status_reason: String,
    methods: Vec<MethodView>,
    errors: FieldErrors,
}

async fn render(
    portal: &Portal,
    r: &PortalRequest,
    id: &str,
    errors: FieldErrors,
) -> Result<HttpResponse, PageError> {
    let acct = account(portal, r).await?;
    let inv = portal
        .payments
        .invoices
        .get(&r.ctx, Some(r.account()), id)
        .await?;
    let now = portal.services.clock.now();
    let row = InvoiceRow::new(&inv, now);
    let methods = if row.payable {
        portal
            .services
            .payment_methods
            .available(
                &r.ctx,
                r.account(),
                Some(inv.currency.code()),
                Some(inv.amount_due),
            )
            .await?
            .into_iter()
            .map(|m| MethodView {
                kind: m.method.as_str().to_owned(),
                name: m.display_name.to_string(),
            })
            .collect()
    } else {
        Vec::new()
    };
    let c = inv.currency;
    let lines = inv
        .lines
        .iter()
        .map(|l| LineView {
            description: l.description.clone(),
            period: match (l.period_start, l.period_end) {
                (Some(a), Some(b)) => format!("{} – {}", format::date(a), format::date(b)),
                _ => String::new(),
            },
            quantity: l.quantity.to_string(),
            unit: format::money(l.unit_amount, c),
            discount: if l.discount_amount > 0 {
                format::money(-l.discount_amount, c)
            } else {
                String::new()
            },
            amount: format::money(l.amount, c),
        })
        .collect();
    let billed_to = inv
        .billing_snapshot
        .as_ref()
        .map(|p| {
            let party = billing_domain::entities::invoice_document::Party::buyer(p);
            let mut v = vec![party.name];
            v.extend(party.lines);
            v.extend(party.tax_id.map(|t| format!("Tax id: {t}")));
            v.extend(party.email);
            v
        })
        .unwrap_or_default();
    let title = format!("Invoice {}", row.number);
    let status = if errors.any() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok(html(
        status,
        &InvoicePage {
            layout: Layout::new(r, acct.name.as_str(), title, "invoices"),
            badge: format::invoice_badge(inv.status),
            subtotal: format::money(inv.subtotal, c),
            discount: if inv.discount > 0 {
                format::money(-inv.discount, c)
            } else {
                String::new()
            },
            paid: format::money(inv.amount_paid, c),
            issued: inv.finalized_at.map(format::date).unwrap_or_default(),
            billed_to,
            status_reason: inv.status_reason.clone().unwrap_or_default(),
            row,
            lines,
            methods,
            errors,
        },
    ))
}

#[get("/invoices/{id}")]
async fn detail(
    portal: Data<Portal>,
    r: PortalRequest,
    id: Path<String>,
) -> Result<HttpResponse, PageError> {
    render(&portal, &r, &id, FieldErrors::default()).await
}

#[post("/invoices/{id}/pay")]
async fn pay(
    req: HttpRequest,
    portal: Data<Portal>,
    r: PortalRequest,
    id: Path<String>,
    body: Bytes,
) -> Result<HttpResponse, PageError> {
    let form = Fields::parse(&body)?;
    forms::check(&req, &r, form.get(forms::CSRF_FIELD).as_deref())?;
    let input = PayInvoiceInput {
        payment_method: form.get("payment_method"),
    };
    match portal
        .payments
        .purchases
        .pay_invoice(&r.ctx, r.account(), &id, input)
        .await
    {
        Ok(done) => Ok(match done.next_action {
            Some(NextAction::RedirectToUrl { url }) => see_other(&url),
            _ => see_other(&format!("/portal/payments/{}", done.payment.id)),
        }),
        Err(e) => {
            let errors = forms::field_error(e, &["payment_method"])?;
            render(&portal, &r, &id, errors).await
        }
    }
}

#[get("/invoices/{id}/pdf")]
async fn pdf(
    portal: Data<Portal>,
    r: PortalRequest,
    id: Path<String>,
) -> Result<HttpResponse, PageError> {
    let doc = portal.documents.pdf(&r.ctx, Some(r.account()), &id).await?;
    let safe: String = doc
        .filename
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .collect();
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header((
            "content-disposition",
            format!("attachment; filename=\"{safe}\""),
        ))
        .insert_header(("cache-control", "private, no-store"))
        .body(doc.bytes))
}
