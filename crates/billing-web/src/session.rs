//! Opening a portal link, and the extractor that finds the session behind each request.
//!
//! `GET /portal/s/{token}` redeems the one-time link (single use, 10 minutes), sets the
//! session cookie and redirects (303) to a clean URL, so the token leaves the address bar
//! at once; the access log never shows it ([`crate::loggable_path`]). The cookie holds a
//! 256-bit secret whose hash finds the server-side session; signing out or an operator's
//! revocation ends it for good.

use actix_web::dev::Payload;
use actix_web::web::{Data, Path};
use actix_web::{FromRequest, HttpRequest, HttpResponse, get};
use billing_domain::entities::PortalFlow;
use billing_domain::entities::PortalSession;
use billing_domain::entities::audit::RequestContext;
use billing_domain::services::portal_sessions::PortalSessionService;
use futures_util::future::LocalBoxFuture;

use crate::{PageError, Portal};

/// The session cookie's name.
pub const COOKIE: &str = "billing_portal";

/// A request inside a live portal session.
pub struct PortalRequest {
    /// The session.
    pub session: PortalSession,
    /// The use-case context: the session's account, nothing else.
    pub ctx: RequestContext,
}

impl PortalRequest {
    /// The session's account id, as the use cases take it.
    pub fn account(&self) -> &str {
        self.session.account_id.as_str()
    }
}

impl FromRequest for PortalRequest {
    type Error = PageError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let portal = req.app_data::<Data<Portal>>().cloned();
        let cookie = cookie_value(req);
        Box::pin(async move {
            // Refusal leaks nothing: a missing, unknown, revoked or timed-out cookie all
            // read as "signed out".
            let portal =
                portal.ok_or_else(|| PageError::Internal("portal state missing".into()))?;
            let cookie = cookie.ok_or(PageError::SignedOut)?;
            let session = portal
                .sessions
                .authenticate(&cookie)
                .await?
                .ok_or(PageError::SignedOut)?;
            let ctx = PortalSessionService::context(&session, (portal.settings.request_id)());
            Ok(Self { session, ctx })
        })
    }
}

/// Whether the request reached us over https (directly or through a proxy that says so).
fn is_https(req: &HttpRequest) -> bool {
    req.connection_info().scheme() == "https"
}

/// The session cookie's value, from the `Cookie` request header(s).
fn cookie_value(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get_all("cookie")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            (name == COOKIE && !value.is_empty()).then(|| value.to_owned())
        })
}

/// The `Set-Cookie` value: `HttpOnly`, `SameSite=Lax`, scoped to `/portal`, `Secure` over
/// https. The value is base64url (no characters that need quoting).
fn set_cookie(req: &HttpRequest, value: &str, max_age: time::Duration) -> String {
    let secure = if is_https(req) { "; Secure" } else { "" };
    format!(
        "{COOKIE}={value}; Path=/portal; Max-Age={}; HttpOnly; SameSite=Lax{secure}",
        max_age.whole_seconds().max(0)
    )
}

/// Where a session starts: the link's flow, or the overview.
pub(crate) fn landing(flow: Option<&PortalFlow>) -> String {
    match flow {
        None => "/portal".to_owned(),
        Some(PortalFlow::BuyCredits) => "/portal/credits".to_owned(),
        Some(PortalFlow::Subscription) => "/portal/plan".to_owned(),
        Some(PortalFlow::PayInvoice { invoice_id }) => format!("/portal/invoices/{invoice_id}"),
        Some(PortalFlow::ManualPayment { payment_id }) => format!("/portal/payments/{payment_id}"),
    }
}

/// Opens a one-time link: a session, its cookie, then a redirect to a clean URL.
#[get("/s/{token}")]
async fn open(
    req: HttpRequest,
    portal: Data<Portal>,
    token: Path<String>,
) -> Result<HttpResponse, PageError> {
    let (secret, session) = portal
        .sessions
        .open(&token)
        .await
        .map_err(|_| PageError::LinkUnusable)?;
    let lifetime = session.expires_at - session.created_at;
    Ok(HttpResponse::SeeOther()
        .insert_header(("set-cookie", set_cookie(&req, &secret.0, lifetime)))
        .insert_header(("location", landing(session.flow.as_ref())))
        .finish())
}

/// Ends the session and clears the cookie.
pub(crate) async fn sign_out(
    req: &HttpRequest,
    portal: &Portal,
    session: &PortalSession,
) -> Result<HttpResponse, PageError> {
    portal.sessions.sign_out(session).await?;
    Ok(HttpResponse::SeeOther()
        .insert_header(("set-cookie", set_cookie(req, "", time::Duration::ZERO)))
        .insert_header(("location", "/portal/signed-out"))
        .finish())
}

pub(crate) fn configure(cfg: &mut actix_web::web::ServiceConfig) {
    cfg.service(open);
}
