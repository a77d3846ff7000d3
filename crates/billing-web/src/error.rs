//! Designed error pages: every failure a browser sees is a page in the portal's layout with
//! a way back, never a JSON body; a 5xx says nothing of its cause.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use askama::Template;
use billing_domain::BillingError;

use crate::layout::Layout;

/// Why a page could not be shown.
#[derive(Debug)]
pub enum PageError {
    /// No live session (never opened, signed out, timed out, revoked).
    SignedOut,
    /// A used, expired or unknown portal link.
    LinkUnusable,
    /// Nothing here, or not this account's.
    NotFound,
    /// A state-changing request without the session's CSRF token, or from another site.
    Refused,
    /// A rule of the domain said no (conflict, bad state): the message is for the user.
    Rejected(String),
    /// The store or a gateway is unavailable for now.
    Unavailable,
    /// Anything else: logged, never shown.
    Internal(String),
}

impl std::fmt::Display for PageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (_, title, _) = self.parts();
        f.write_str(title)
    }
}

impl std::error::Error for PageError {}

impl From<BillingError> for PageError {
    fn from(e: BillingError) -> Self {
        match e {
            BillingError::NotFound { .. } => Self::NotFound,
            BillingError::Unauthenticated(_) => Self::SignedOut,
            BillingError::Forbidden(_) => Self::NotFound,
            BillingError::Unavailable(_) => Self::Unavailable,
            BillingError::Internal(m) => Self::Internal(m),
            other => Self::Rejected(other.to_string()),
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    layout: Layout,
    message: String,
    back: &'static str,
}

impl PageError {
    fn parts(&self) -> (StatusCode, &'static str, String) {
        match self {
            Self::SignedOut => (
                StatusCode::UNAUTHORIZED,
                "Your session has ended",
                "For your security, billing sessions end after a while without activity or when you sign out. Open billing again from the app you came from.".into(),
            ),
            Self::LinkUnusable => (
                StatusCode::GONE,
                "This link has expired",
                "Billing links work once and only for a few minutes. Go back to the app you came from and open billing again to get a new link.".into(),
            ),
            Self::NotFound => (
                StatusCode::NOT_FOUND,
                "Page not found",
                "There is nothing here, or it belongs to another account.".into(),
            ),
            Self::Refused => (
                StatusCode::FORBIDDEN,
                "This request was refused",
                "The form was sent from outside this billing page or has expired. Reload the page and try again.".into(),
            ),
            Self::Rejected(m) => (StatusCode::CONFLICT, "That did not work", m.clone()),
            Self::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "Temporarily unavailable",
                "Billing is briefly unavailable. Nothing was changed; please try again in a minute.".into(),
            ),
            Self::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "Nothing was changed. Please try again; if it keeps happening, contact support.".into(),
            ),
        }
    }
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        self.parts().0
    }

    fn error_response(&self) -> HttpResponse {
        let (status, title, message) = self.parts();
        if let Self::Internal(cause) = self {
            tracing::error!(error = %cause, "portal page failed");
        }
        let in_session = !matches!(self, Self::SignedOut | Self::LinkUnusable);
        let page = ErrorPage {
            layout: Layout::bare(title),
            message,
            back: if in_session { "/portal" } else { "" },
        };
        crate::pages::html(status, &page)
    }
}

/// The scope's fallback: a 404 page.
pub(crate) async fn not_found() -> Result<HttpResponse, PageError> {
    Err(PageError::NotFound)
}
