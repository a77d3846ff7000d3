//! The billing portal: server-rendered pages for account owners, a driving adapter like the
//! JSON API. Every page calls the domain's use cases with the session's principal
//! ([`billing_domain::entities::Principal::portal`], the rights of the account's own key), so
//! tenancy, validation and every business rule stay in the domain.
//!
//! - Templates: askama (compile-time checked, auto-escaped), under `templates/`.
//! - Assets: one stylesheet of ours, one small script and vendored htmx, compiled into the
//!   binary and served under content-hashed paths with a one-year immutable cache.
//! - Sessions: a one-time link (`/portal/s/{token}`) opens a server-side session; the cookie
//!   is `HttpOnly`, `SameSite=Lax`, `Secure` over https. See [`session`].
//! - Security: CSRF token on every state-changing form plus `Origin`/`Sec-Fetch-Site`
//!   checks, and security headers on every response ([`security`]).

pub mod assets;
mod error;
pub mod format;
mod forms;
mod layout;
mod multipart;
mod pages;
pub mod security;
pub mod session;

use actix_web::web::{self, Data};
use billing_domain::services::portal_sessions::PortalSessionService;
use billing_domain::services::{InvoiceDocumentService, PaymentServices, Services};

pub use error::PageError;

/// Everything the pages reach.
pub struct Portal {
    /// The core use cases.
    pub services: Services,
    /// The payment use cases.
    pub payments: PaymentServices,
    /// Invoice PDFs.
    pub documents: InvoiceDocumentService,
    /// Portal links and sessions.
    pub sessions: PortalSessionService,
    /// Presentation and security settings.
    pub settings: WebSettings,
}

/// How the pages present themselves and whom they let frame them.
#[derive(Debug, Clone)]
pub struct WebSettings {
    /// The seller's name in the top bar (`BILLING_SELLER_NAME`).
    pub seller_name: String,
    /// Origins allowed to embed the portal in a frame (`frame-ancestors`); empty: none.
    pub frame_ancestors: Vec<String>,
    /// The largest proof file accepted, bytes (shown next to the upload field).
    pub max_proof_bytes: usize,
    /// The request id of the current request, for audit entries.
    pub request_id: fn() -> Option<String>,
}

/// The portal's routes under `/portal`, with their own HTML error pages and headers.
pub fn scope(
    portal: Data<Portal>,
) -> actix_web::Scope<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    layout::set_seller(&portal.settings.seller_name);
    let frame = portal.settings.frame_ancestors.clone();
    let max_upload = portal.settings.max_proof_bytes + 64 * 1024;
    web::scope("/portal")
        .app_data(portal)
        .app_data(web::PayloadConfig::new(max_upload))
        .app_data(web::FormConfig::default().limit(64 * 1024))
        .configure(assets::configure)
        .configure(pages::configure)
        .default_service(web::to(error::not_found))
        .wrap(actix_web::middleware::from_fn(move |req, next| {
            security::headers(frame.clone(), req, next)
        }))
}

/// `path` with any portal link token replaced, for access logs: the token is a bearer secret.
pub fn loggable_path(path: &str) -> std::borrow::Cow<'_, str> {
    match path.strip_prefix("/portal/s/") {
        Some(_) => std::borrow::Cow::Borrowed("/portal/s/<redacted>"),
        None => std::borrow::Cow::Borrowed(path),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn link_tokens_never_reach_the_access_log() {
        assert_eq!(
            super::loggable_path("/portal/s/hNBCu92-zUFBPZYfrKjzWyR9xaLQ1Z87VSlbZe8lyuM"),
            "/portal/s/<redacted>"
        );
        assert_eq!(super::loggable_path("/portal/invoices"), "/portal/invoices");
    }
}
