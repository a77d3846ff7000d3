//! The pages, one module per page (or page family). Handlers translate a request into use
//! case calls with the session's context and the result into a template; nothing here
//! decides a business question.

mod credits;
mod details;
mod invoices;
mod manual;
mod overview;
mod payments;
mod plan;
mod plan_actions;
mod usage;
mod views;

use actix_web::http::StatusCode;
use actix_web::web::ServiceConfig;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use billing_domain::entities::Account;

use crate::session::PortalRequest;
use crate::{PageError, Portal};

/// Renders `page` as an HTML response with `status`.
pub(crate) fn html(status: StatusCode, page: &impl Template) -> HttpResponse {
    match page.render() {
        Ok(body) => HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .body(body),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            HttpResponse::InternalServerError()
                .content_type("text/plain; charset=utf-8")
                .body("Something went wrong.")
        }
    }
}

/// A 200 page.
pub(crate) fn ok(page: &impl Template) -> Result<HttpResponse, PageError> {
    Ok(html(StatusCode::OK, page))
}

/// A 303 to `to` (after a successful post: reloading never posts twice).
pub(crate) fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("location", to))
        .finish()
}

/// The cursor of the page after `page` (its last item's id), or empty on the last page.
pub(crate) fn next_cursor<T>(
    page: &billing_domain::types::Page<T>,
    id: impl Fn(&T) -> String,
) -> String {
    match page.data.last() {
        Some(last) if page.has_more => id(last),
        _ => String::new(),
    }
}

/// A page with nothing on it (a filter that could not be read lists nothing).
pub(crate) fn no_rows<T>() -> billing_domain::types::Page<T> {
    billing_domain::types::Page {
        data: Vec::new(),
        has_more: false,
    }
}

/// The session's account.
pub(crate) async fn account(portal: &Portal, r: &PortalRequest) -> Result<Account, PageError> {
    Ok(portal.services.accounts.get(&r.ctx, r.account()).await?)
}

/// Registers every page.
pub(crate) fn configure(cfg: &mut ServiceConfig) {
    crate::session::configure(cfg);
    cfg.service(sign_out).service(signed_out);
    overview::configure(cfg);
    credits::configure(cfg);
    payments::configure(cfg);
    manual::configure(cfg);
    invoices::configure(cfg);
    usage::configure(cfg);
    plan::configure(cfg);
    details::configure(cfg);
}

#[derive(Template)]
#[template(path = "error.html")]
struct SignedOutPage {
    layout: crate::layout::Layout,
    message: String,
    back: &'static str,
}

#[post("/sign-out")]
async fn sign_out(
    req: HttpRequest,
    portal: web::Data<Portal>,
    r: PortalRequest,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let form = crate::forms::Fields::parse(&body)?;
    crate::forms::check(&req, &r, form.get(crate::forms::CSRF_FIELD).as_deref())?;
    crate::session::sign_out(&req, &portal, &r.session).await
}

#[get("/signed-out")]
async fn signed_out() -> Result<HttpResponse, PageError> {
    ok(&SignedOutPage {
        layout: crate::layout::Layout::bare("You have signed out"),
        message: "Your billing session has ended. To come back, open billing again from the app you came from.".into(),
        back: "",
    })
}
