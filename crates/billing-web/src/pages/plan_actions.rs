//! The plan page's actions: cancel at period end, resume, confirm a previewed change,
//! subscribe. Each is one subscription use case; its refusal is shown on the plan page.

use actix_web::web::{Bytes, Data, ServiceConfig};
use actix_web::{HttpRequest, HttpResponse, post};
use billing_domain::services::subscriptions::{
    CancelInput, ChangePlanInput, CreateSubscriptionInput,
};

use crate::forms::{self, Fields};
use crate::pages::plan::{current_sub, render};
use crate::pages::see_other;
use crate::session::PortalRequest;
use crate::{PageError, Portal};

pub(crate) fn configure(cfg: &mut ServiceConfig) {
    cfg.service(cancel)
        .service(resume)
        .service(change)
        .service(subscribe);
}

async fn posted(req: &HttpRequest, r: &PortalRequest, body: &[u8]) -> Result<Fields, PageError> {
    let form = Fields::parse(body)?;
    forms::check(req, r, form.get(forms::CSRF_FIELD).as_deref())?;
    Ok(form)
}

#[post("/plan/cancel")]
async fn cancel(
    req: HttpRequest,
    portal: Data<Portal>,
    r: PortalRequest,
    body: Bytes,
) -> Result<HttpResponse, PageError> {
    let form = posted(&req, &r, &body).await?;
    let id = form.get("subscription_id").ok_or(PageError::NotFound)?;
    let input = CancelInput {
        at_period_end: Some(true),
        reason: Some("canceled by the account owner in the billing portal".into()),
        refund: None,
    };
    portal
        .payments
        .subscriptions
        .cancel(&r.ctx, r.account(), &id, input)
        .await?;
    Ok(see_other("/portal/plan"))
}

#[post("/plan/resume")]
async fn resume(
    req: HttpRequest,
    portal: Data<Portal>,
    r: PortalRequest,
    body: Bytes,
) -> Result<HttpResponse, PageError> {
    let form = posted(&req, &r, &body).await?;
    let id = form.get("subscription_id").ok_or(PageError::NotFound)?;
    portal
        .payments
        .subscriptions
        .resume(&r.ctx, r.account(), &id)
        .await?;
    Ok(see_other("/portal/plan"))
}

#[post("/plan/change")]
async fn change(
    req: HttpRequest,
    portal: Data<Portal>,
    r: PortalRequest,
    body: Bytes,
) -> Result<HttpResponse, PageError> {
    let form = posted(&req, &r, &body).await?;
    let sub = current_sub(&portal, &r).await?.ok_or(PageError::NotFound)?;
    let input = ChangePlanInput {
        plan_id: form.get("plan_id"),
        proration_at: form.get("proration_at"),
        ..ChangePlanInput::default()
    };
    match portal
        .payments
        .subscriptions
        .change_plan(&r.ctx, r.account(), sub.id.as_str(), input)
        .await
    {
        Ok(c) => Ok(match (c.next_action, c.invoice) {
            (Some(billing_domain::entities::NextAction::RedirectToUrl { url }), _) => {
                see_other(&url)
            }
            (_, Some(inv)) if inv.amount_due > 0 => {
                see_other(&format!("/portal/invoices/{}", inv.id))
            }
            _ => see_other("/portal/plan"),
        }),
        Err(e) => {
            let errors = forms::field_error(e, &["plan_id", "proration_at"])?;
            render(&portal, &r, None, errors).await
        }
    }
}

#[post("/plan/subscribe")]
async fn subscribe(
    req: HttpRequest,
    portal: Data<Portal>,
    r: PortalRequest,
    body: Bytes,
) -> Result<HttpResponse, PageError> {
    let form = posted(&req, &r, &body).await?;
    let input = CreateSubscriptionInput {
        plan_id: form.get("plan_id"),
        payment_method: form.get("payment_method"),
        ..CreateSubscriptionInput::default()
    };
    match portal
        .payments
        .subscriptions
        .create(&r.ctx, r.account(), input)
        .await
    {
        Ok(done) => Ok(match (done.next_action, done.payment) {
            (Some(billing_domain::entities::NextAction::RedirectToUrl { url }), _) => {
                see_other(&url)
            }
            (_, Some(p)) => see_other(&format!("/portal/payments/{}", p.id)),
            _ => see_other("/portal/plan"),
        }),
        Err(e) => {
            let errors = forms::field_error(e, &["plan_id", "payment_method"])?;
            render(&portal, &r, None, errors).await
        }
    }
}
