//! The billing portal in a real browser: Debian's Chromium, headless, through ChromeDriver,
//! against the real server over SQLite and PostgreSQL. Every test saves screenshots of the
//! pages it visits (desktop and phone widths) under `target/portal-screenshots/` and fails
//! on any console error (a JavaScript error or a Content-Security-Policy violation).
//!
//! The tests run one at a time (nextest test group `browser`): one Chromium is enough for
//! two cores.

#![allow(missing_docs, clippy::unwrap_used)]

#[allow(dead_code)]
#[path = "../e2e/support.rs"]
mod support;

#[allow(dead_code)]
#[path = "../e2e/shop.rs"]
mod shop;

#[allow(dead_code)]
#[path = "../e2e/stripe_stub.rs"]
mod stripe_stub;

mod browser;
mod flows;
mod links;
mod plan;
mod portal_support;
mod stripe;
