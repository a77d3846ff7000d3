//! The plan: the current subscription, the next invoice's date and amount, cancel at period
//! end and resume, changing plan with the domain's proration preview, and subscribing when
//! there is no plan. Every decision (what a change costs, when it applies, who may cancel)
//! is the subscription use cases'.

use actix_web::web::{Data, Query, ServiceConfig};
use actix_web::{HttpResponse, get};
use askama::Template;
use billing_domain::entities::{Plan, Subscription, SubscriptionStatus};
use billing_domain::services::subscriptions::{ChangeOutcome, ChangePlanInput};
use billing_domain::types::{Currency, PageRequest};
use serde::Deserialize;

use crate::format::{self, Badge};
use crate::forms::{self, FieldErrors};
use crate::layout::Layout;
use crate::pages::{account, html};
use crate::session::PortalRequest;
use crate::{PageError, Portal};

pub(crate) fn configure(cfg: &mut ServiceConfig) {
    cfg.service(show);
    super::plan_actions::configure(cfg);
}

fn interval(p: &Plan) -> String {
    let unit = p.interval.unit.as_str();
    match p.interval.count {
        1 => format!("per {unit}"),
        n => format!("every {n} {unit}s"),
    }
}

struct PlanOption {
    id: String,
    name: String,
    price: String,
    interval: String,
    credits: String,
    current: bool,
}

fn option(p: &Plan, currency: Option<Currency>, current: bool) -> Option<PlanOption> {
    let price = match currency {
        Some(c) => p.prices.get(c)?,
        None => p.prices.first(),
    };
    Some(PlanOption {
        id: p.id.to_string(),
        name: p.name.to_string(),
        price: format::money(price.amount, price.currency),
        interval: interval(p),
        credits: if p.credits_per_period > 0 {
            format!("{} each period", format::credits(p.credits_per_period))
        } else {
            String::new()
        },
        current,
    })
}

struct Current {
    id: String,
    name: String,
    badge: Badge,
    period: String,
    next_invoice: String,
    cancel_at_period_end: bool,
    pending: String,
    can_cancel: bool,
}

pub(super) struct Preview {
    plan_id: String,
    plan_name: String,
    at: String,
    lines: Vec<(String, String)>,
    outcome: String,
}

#[derive(Template)]
#[template(path = "plan.html")]
struct PlanPage {
    layout: Layout,
    current: Option<Current>,
    options: Vec<PlanOption>,
    methods: Vec<(String, String)>,
    preview: Option<Preview>,
    errors: FieldErrors,
}

pub(super) async fn current_sub(
    portal: &Portal,
    r: &PortalRequest,
) -> Result<Option<Subscription>, PageError> {
    let subs = portal
        .payments
        .subscriptions
        .list_for_account(&r.ctx, r.account(), &PageRequest::first(10))
        .await?;
    Ok(subs.data.into_iter().find(|s| {
        !matches!(
            s.status,
            SubscriptionStatus::Canceled | SubscriptionStatus::IncompleteExpired
        )
    }))
}

pub(super) async fn render(
    portal: &Portal,
    r: &PortalRequest,
    preview: Option<Preview>,
    errors: FieldErrors,
) -> Result<HttpResponse, PageError> {
    let acct = account(portal, r).await?;
    let plans = portal.services.plans.list_public().await?;
    let sub = current_sub(portal, r).await?;
    let name_of = |id: &str| {
        plans
            .iter()
            .find(|p| p.id.as_str() == id)
            .map_or_else(|| id.to_owned(), |p| p.name.to_string())
    };
    let preferred = acct
        .billing_profile
        .as_ref()
        .and_then(|p| p.preferred_currency);
    let currency = sub.as_ref().map(|s| s.currency).or(preferred);
    let current = match &sub {
        Some(s) => {
            let plan = portal
                .services
                .plans
                .get(&r.ctx, s.plan_id.as_str())
                .await?;
            let next_plan = match &s.pending_change {
                Some(c) if matches!(c, billing_domain::entities::PendingChange::AtPeriodEnd(_)) => {
                    portal
                        .services
                        .plans
                        .get(&r.ctx, c.plan_id().as_str())
                        .await
                        .ok()
                }
                _ => None,
            };
            let billed = next_plan.as_ref().unwrap_or(&plan);
            let next_amount = billed
                .prices
                .get(s.currency)
                .map(|m| format::money(m.amount, m.currency));
            Some(Current {
                id: s.id.to_string(),
                name: plan.name.to_string(),
                badge: format::subscription_badge(s.status),
                period: format!(
                    "{} – {}",
                    format::date(s.current_period_start),
                    format::date(s.current_period_end)
                ),
                next_invoice: match (s.cancel_at_period_end, next_amount) {
                    (true, _) => format!(
                        "No further invoices: the plan ends on {}.",
                        format::date(s.current_period_end)
                    ),
                    (false, Some(a)) => format!("{a} on {}", format::date(s.current_period_end)),
                    (false, None) => format::date(s.current_period_end),
                },
                cancel_at_period_end: s.cancel_at_period_end,
                pending: s
                    .pending_change
                    .as_ref()
                    .map(|c| {
                        format!(
                            "Changing to {} — {}",
                            name_of(c.plan_id().as_str()),
                            match c {
                                billing_domain::entities::PendingChange::Upgrade(_) =>
                                    "waiting for the invoice to be paid".to_owned(),
                                billing_domain::entities::PendingChange::AtPeriodEnd(_) =>
                                    format!("from {}", format::date(s.current_period_end)),
                            }
                        )
                    })
                    .unwrap_or_default(),
                can_cancel: matches!(
                    s.status,
                    SubscriptionStatus::Active
                        | SubscriptionStatus::Trialing
                        | SubscriptionStatus::PastDue
                ),
            })
        }
        None => None,
    };
    let options = plans
        .iter()
        .filter_map(|p| option(p, currency, sub.as_ref().is_some_and(|s| s.plan_id == p.id)))
        .collect();
    let methods = if sub.is_none() && acct.billing_profile.is_some() {
        portal
            .services
            .payment_methods
            .available(&r.ctx, r.account(), currency.map(|c| c.code()), None)
            .await?
            .into_iter()
            .map(|m| (m.method.as_str().to_owned(), m.display_name.to_string()))
            .collect()
    } else {
        Vec::new()
    };
    let status = if errors.any() {
        actix_web::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        actix_web::http::StatusCode::OK
    };
    Ok(html(
        status,
        &PlanPage {
            layout: Layout::new(r, acct.name.as_str(), "Plan", "plan"),
            current,
            options,
            methods,
            preview,
            errors,
        },
    ))
}

#[derive(Deserialize)]
struct PreviewQuery {
    change_to: Option<String>,
}

#[get("/plan")]
async fn show(
    portal: Data<Portal>,
    r: PortalRequest,
    q: Query<PreviewQuery>,
) -> Result<HttpResponse, PageError> {
    let Some(plan_id) = q.change_to.clone().filter(|p| !p.is_empty()) else {
        return render(&portal, &r, None, FieldErrors::default()).await;
    };
    let sub = current_sub(&portal, &r).await?.ok_or(PageError::NotFound)?;
    let input = ChangePlanInput {
        plan_id: Some(plan_id.clone()),
        preview: Some(true),
        ..ChangePlanInput::default()
    };
    match portal
        .payments
        .subscriptions
        .change_plan(&r.ctx, r.account(), sub.id.as_str(), input)
        .await
    {
        Ok(c) => {
            let plan = portal.services.plans.get(&r.ctx, &plan_id).await?;
            let cur = sub.currency;
            let mut lines = Vec::new();
            if let Some(p) = c.proration {
                lines.push((
                    "Credit for the unused part of your current plan".to_owned(),
                    format::money(-p.credit, cur),
                ));
                lines.push((
                    format!("{} for the rest of the period", plan.name),
                    format::money(p.charge, cur),
                ));
                lines.push(("Due now".to_owned(), format::money(p.amount_due, cur)));
                if p.extra_credits > 0 {
                    lines.push((
                        "Extra credits when paid".to_owned(),
                        format::credits(p.extra_credits),
                    ));
                }
            }
            let outcome = match c.outcome {
                ChangeOutcome::Switched => "The change applies at once.".to_owned(),
                ChangeOutcome::AwaitingPayment => {
                    "The change applies as soon as the invoice is paid.".to_owned()
                }
                ChangeOutcome::AtPeriodEnd => format!(
                    "The change applies at the end of the period, on {}; nothing is charged now.",
                    format::date(sub.current_period_end)
                ),
                ChangeOutcome::Reverted => "This cancels the change you scheduled.".to_owned(),
            };
            let preview = Preview {
                plan_id,
                plan_name: plan.name.to_string(),
                at: c
                    .proration
                    .and_then(|p| {
                        p.at.format(&time::format_description::well_known::Rfc3339)
                            .ok()
                    })
                    .unwrap_or_default(),
                lines,
                outcome,
            };
            render(&portal, &r, Some(preview), FieldErrors::default()).await
        }
        Err(e) => {
            let errors = forms::field_error(e, &["plan_id"])?;
            render(&portal, &r, None, errors).await
        }
    }
}
