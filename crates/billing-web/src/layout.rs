//! What every page's frame shows: the top bar (seller, account, return link, sign out), the
//! navigation, the asset paths and the session's CSRF token for forms.

use std::sync::OnceLock;

use crate::assets::{CSS, FAVICON, HTMX, SCRIPT};
use crate::session::PortalRequest;

/// The seller's name, for pages rendered without a session (error pages).
static SELLER: OnceLock<String> = OnceLock::new();

/// Records the seller's name once per process (the first portal built wins).
pub(crate) fn set_seller(name: &str) {
    let _ = SELLER.set(name.to_owned());
}

fn seller() -> String {
    SELLER
        .get()
        .cloned()
        .unwrap_or_else(|| "Billing".to_owned())
}

/// A navigation entry.
pub(crate) struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

/// The frame of a page.
pub(crate) struct Layout {
    /// `<title>` and `<h1>`.
    pub title: String,
    pub seller: String,
    /// Absent on pages outside a session.
    pub account_name: Option<String>,
    pub return_url: Option<String>,
    pub csrf: String,
    pub nav: Vec<NavItem>,
    pub css: &'static str,
    pub htmx: &'static str,
    pub script: &'static str,
    pub favicon: &'static str,
}

const NAV: [(&str, &str, &str); 7] = [
    ("overview", "/portal", "Overview"),
    ("credits", "/portal/credits", "Buy credits"),
    ("plan", "/portal/plan", "Plan"),
    ("invoices", "/portal/invoices", "Invoices"),
    ("payments", "/portal/payments", "Payments"),
    ("usage", "/portal/usage", "Usage"),
    ("details", "/portal/details", "Billing details"),
];

impl Layout {
    /// A page inside the session `r`, `section` marking the current navigation entry.
    pub fn new(
        r: &PortalRequest,
        account_name: &str,
        title: impl Into<String>,
        section: &str,
    ) -> Self {
        Self {
            title: title.into(),
            seller: seller(),
            account_name: Some(account_name.to_owned()),
            return_url: Some(r.session.return_url.clone()),
            csrf: r.session.csrf_token.clone(),
            nav: NAV
                .iter()
                .map(|&(key, href, label)| NavItem {
                    href,
                    label,
                    current: key == section,
                })
                .collect(),
            css: &CSS.path,
            htmx: &HTMX.path,
            script: &SCRIPT.path,
            favicon: &FAVICON.path,
        }
    }

    /// A page with no session (error pages, signed out).
    pub fn bare(title: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            seller: seller(),
            account_name: None,
            return_url: None,
            csrf: String::new(),
            nav: Vec::new(),
            css: &CSS.path,
            htmx: &HTMX.path,
            script: &SCRIPT.path,
            favicon: &FAVICON.path,
        }
    }
}
