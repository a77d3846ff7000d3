//! The overview: balance first, then the plan, then what needs action.

use actix_web::web::{Data, ServiceConfig};
use actix_web::{HttpResponse, get};
use askama::Template;
use billing_domain::entities::{InvoiceStatus, PaymentStatus, SubscriptionStatus};
use billing_domain::ports::{InvoiceFilter, PaymentFilter};
use billing_domain::types::PageRequest;

use crate::format::{self, Badge};
use crate::layout::Layout;
use crate::pages::views::{InvoiceRow, PaymentRow};
use crate::pages::{account, ok};
use crate::session::PortalRequest;
use crate::{PageError, Portal};

pub(crate) fn configure(cfg: &mut ServiceConfig) {
    cfg.service(overview);
}

struct PlanSummary {
    name: String,
    badge: Badge,
    renews: String,
    cancel_at_period_end: bool,
}

#[derive(Template)]
#[template(path = "overview.html")]
struct OverviewPage {
    layout: Layout,
    available: String,
    held: String,
    has_held: bool,
    next_expiry: String,
    low_balance: bool,
    plan: Option<PlanSummary>,
    unpaid: Vec<InvoiceRow>,
    recent: Vec<InvoiceRow>,
    action_payments: Vec<PaymentRow>,
}

#[get("")]
async fn overview(portal: Data<Portal>, r: PortalRequest) -> Result<HttpResponse, PageError> {
    let acct = account(&portal, &r).await?;
    let now = portal.services.clock.now();
    let lots = portal.services.lots.by_lot(&r.ctx, r.account()).await?;
    let low_balance = acct
        .low_balance_threshold
        .is_some_and(|t| lots.available < t);
    let page = PageRequest::first;
    let invoices = &portal.payments.invoices;
    let recent = invoices
        .list(
            &r.ctx,
            Some(r.account()),
            InvoiceFilter::default(),
            &page(5),
        )
        .await?;
    let unpaid = invoices
        .list(
            &r.ctx,
            Some(r.account()),
            InvoiceFilter {
                status: Some(InvoiceStatus::Pending),
                ..InvoiceFilter::default()
            },
            &page(20),
        )
        .await?;
    let payments = portal
        .payments
        .payments
        .list(
            &r.ctx,
            Some(r.account()),
            PaymentFilter::default(),
            &page(20),
        )
        .await?;
    let subs = portal
        .payments
        .subscriptions
        .list_for_account(&r.ctx, r.account(), &page(10))
        .await?;
    let current = subs.data.into_iter().find(|s| {
        s.status != SubscriptionStatus::Canceled
            && s.status != SubscriptionStatus::IncompleteExpired
    });
    let plan = match current {
        Some(s) => Some(PlanSummary {
            name: portal
                .services
                .plans
                .get(&r.ctx, s.plan_id.as_str())
                .await
                .map(|p| p.name.to_string())
                .unwrap_or_else(|_| s.plan_id.to_string()),
            badge: format::subscription_badge(s.status),
            renews: format::date(s.current_period_end),
            cancel_at_period_end: s.cancel_at_period_end,
        }),
        None => None,
    };
    ok(&OverviewPage {
        layout: Layout::new(&r, acct.name.as_str(), "Overview", "overview"),
        available: format::credits(lots.available),
        held: format::credits(lots.held),
        has_held: lots.held > 0,
        next_expiry: lots
            .next_expiry
            .map(|e| {
                format!(
                    "{} expire on {}",
                    format::credits(e.credits),
                    format::date(e.at)
                )
            })
            .unwrap_or_default(),
        low_balance,
        plan,
        unpaid: unpaid
            .data
            .iter()
            .map(|i| InvoiceRow::new(i, now))
            .filter(|i| i.payable)
            .collect(),
        recent: recent
            .data
            .iter()
            .map(|i| InvoiceRow::new(i, now))
            .collect(),
        action_payments: payments
            .data
            .iter()
            .filter(|p| {
                matches!(
                    p.status,
                    PaymentStatus::AwaitingTransfer | PaymentStatus::Rejected
                )
            })
            .map(PaymentRow::new)
            .collect(),
    })
}
