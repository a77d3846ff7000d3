//! The OpenAPI document, generated from the handlers themselves: routes are registered through
//! `utoipa_actix_web`, so the list that is served and the list that is documented are one list.
//!
//! The document also drives [`RouteTable`], which tells 404 (no such path) from 405 (path
//! exists, other method) and which POST routes take an `Idempotency-Key`.

use std::collections::BTreeMap;

use utoipa::openapi::path::HttpMethod;
use utoipa::openapi::response::{ResponseBuilder, ResponsesBuilder};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi as Doc, Ref, RefOr, Response};
use utoipa::{IntoResponses, Modify, OpenApi};

use crate::error::{ErrorObject, ErrorResponse, ErrorType};

/// The static part of the document: info, security scheme, shared schemas.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Billing API",
        description = "Prepaid credits, packages, payment methods, accounts, invoices, purchases, manual payments and refunds. Errors: `{\"error\": {\"type\", \"code\", \"message\", \"param\"}, \"request_id\"}`. \
Every POST accepts an `Idempotency-Key` header. Lists use cursor pagination (`limit`, `starting_after` → `data`, `has_more`).",
    ),
    components(schemas(ErrorResponse, ErrorObject, ErrorType)),
    modifiers(&BearerAuth),
    tags(
        (name = "accounts", description = "Accounts and billing profiles"),
        (name = "credits", description = "Balances, debits, ledger, reservations, adjustments"),
        (name = "catalog", description = "Credit packages"),
        (name = "plans", description = "Subscription plans: prices per currency, interval, credits per period, features, trial, dunning"),
        (name = "payment-methods", description = "Payment method configs and what an account may use"),
        (name = "api-keys", description = "API keys (admin)"),
        (name = "subscriptions", description = "Subscriptions: subscribe, renewals and dunning, cancel and resume, entitlements"),
        (name = "test-clock", description = "Moving the server's clock forward (BILLING_TEST_MODE=true only)"),
        (name = "invoices", description = "Invoices: manual invoices, finalization with gapless numbers, void, uncollectible"),
        (name = "payments", description = "Purchases, payments, manual approval workflow, proofs, refunds"),
        (name = "audit", description = "Audit log (admin)"),
        (name = "emails", description = "Transactional e-mail: the queue, delivery attempts, resend (admin)"),
        (name = "tax", description = "Tax rates by country and region, and which applies to an account (admin)"),
        (name = "portal", description = "Billing-portal links for account owners: one-time, 10 minutes, single use; ending an account's sessions"),
        (name = "operations", description = "Health, readiness, metrics, this document"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut Doc) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("API key")
                    .build(),
            ),
        );
    }
}

fn error_response(description: &str) -> RefOr<Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorResponse")))
                .build(),
        )
        .build()
        .into()
}

/// The errors every authenticated endpoint may answer, for `responses(...)`.
pub struct StdErrors;

impl IntoResponses for StdErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        ResponsesBuilder::new()
            .response(
                "400",
                error_response("Invalid request; `error.param` names the field"),
            )
            .response("401", error_response("Missing, invalid or revoked API key"))
            .response("403", error_response("The key's scope does not allow this"))
            .response(
                "404",
                error_response("No such resource (or not visible to this key)"),
            )
            .response(
                "500",
                error_response("Internal error (details are logged, never returned)"),
            )
            .response("503", error_response("The database is unreachable"))
            .build()
            .into()
    }
}

/// The extra errors of POST endpoints: idempotency conflicts.
pub struct PostErrors;

impl IntoResponses for PostErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        let mut r = StdErrors::responses();
        r.insert(
            "409".into(),
            error_response(
                "Conflict, or a request with the same Idempotency-Key is still in progress",
            ),
        );
        r.insert(
            "415".into(),
            error_response("Content-Type is not application/json"),
        );
        r.insert(
            "422".into(),
            error_response(
                "A rule across fields or against stored data is broken, or the Idempotency-Key \
                 was used with a different request",
            ),
        );
        r
    }
}

/// Declares a list response type `{ "data": [T], "has_more": bool }` for the document.
#[macro_export]
macro_rules! list_type {
    ($name:ident, $item:ty) => {
        #[doc = concat!("A page of `", stringify!($item), "`.")]
        #[derive(Debug, serde::Serialize, utoipa::ToSchema)]
        pub struct $name {
            /// The items.
            pub data: Vec<$item>,
            /// Whether another page follows; pass the last id as `starting_after`.
            pub has_more: bool,
        }

        impl From<billing_domain::types::Page<$item>> for $name {
            fn from(p: billing_domain::types::Page<$item>) -> Self {
                Self {
                    data: p.data,
                    has_more: p.has_more,
                }
            }
        }

        impl From<Vec<$item>> for $name {
            fn from(data: Vec<$item>) -> Self {
                Self {
                    data,
                    has_more: false,
                }
            }
        }
    };
}

fn method_name(m: &HttpMethod) -> &'static str {
    match m {
        HttpMethod::Get => "GET",
        HttpMethod::Post => "POST",
        HttpMethod::Put => "PUT",
        HttpMethod::Delete => "DELETE",
        HttpMethod::Options => "OPTIONS",
        HttpMethod::Head => "HEAD",
        HttpMethod::Patch => "PATCH",
        HttpMethod::Trace => "TRACE",
    }
}

/// Every `(method, path template)` of the document, sorted.
pub fn operations(doc: &Doc) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (path, item) in &doc.paths.paths {
        let ops = [
            (HttpMethod::Get, item.get.is_some()),
            (HttpMethod::Post, item.post.is_some()),
            (HttpMethod::Put, item.put.is_some()),
            (HttpMethod::Patch, item.patch.is_some()),
            (HttpMethod::Delete, item.delete.is_some()),
        ];
        for (m, present) in ops {
            if present {
                out.push((method_name(&m).to_owned(), path.clone()));
            }
        }
    }
    out.sort();
    out
}

/// Path templates and their methods, for 404-vs-405 and idempotency decisions.
#[derive(Debug, Clone, Default)]
pub struct RouteTable {
    routes: Vec<(Vec<Option<String>>, Vec<String>)>,
}

impl RouteTable {
    /// Builds the table from the document.
    pub fn from_doc(doc: &Doc) -> Self {
        let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (m, p) in operations(doc) {
            map.entry(p).or_default().push(m);
        }
        let routes = map
            .into_iter()
            .map(|(p, ms)| {
                let segs = p
                    .trim_matches('/')
                    .split('/')
                    .map(|s| {
                        if s.starts_with('{') {
                            None
                        } else {
                            Some(s.to_owned())
                        }
                    })
                    .collect();
                (segs, ms)
            })
            .collect();
        Self { routes }
    }

    /// The methods allowed on `path`, or `None` if no route has this path.
    pub fn allowed(&self, path: &str) -> Option<Vec<String>> {
        let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
        let mut found: Option<Vec<String>> = None;
        for (tpl, methods) in &self.routes {
            if tpl.len() == segs.len()
                && tpl
                    .iter()
                    .zip(&segs)
                    .all(|(t, s)| t.as_deref().is_none_or(|t| t == *s) && !s.is_empty())
            {
                found
                    .get_or_insert_with(Vec::new)
                    .extend(methods.iter().cloned());
            }
        }
        found.map(|mut v| {
            v.sort();
            v.dedup();
            v
        })
    }

    /// Whether `method path` is a route.
    pub fn has(&self, method: &str, path: &str) -> bool {
        self.allowed(path)
            .is_some_and(|m| m.iter().any(|x| x == method))
    }
}

/// Gives every operation a unique `operationId` derived from its method and path
/// (`GET /v1/accounts/{id}/invoices` → `get_accounts_by_id_invoices`), so clients generated
/// from the document do not clash (the handlers' own names, `create`, `list`, repeat).
pub fn unique_operation_ids(doc: &mut Doc) {
    for (path, item) in doc.paths.paths.iter_mut() {
        let base: Vec<String> = path
            .trim_matches('/')
            .split('/')
            .filter(|s| *s != "v1" && !s.is_empty())
            .map(
                |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    Some(param) => format!("by_{param}"),
                    None => s.replace('-', "_"),
                },
            )
            .collect();
        let base = base.join("_");
        let ops = [
            ("get", item.get.as_mut()),
            ("put", item.put.as_mut()),
            ("post", item.post.as_mut()),
            ("delete", item.delete.as_mut()),
            ("patch", item.patch.as_mut()),
            ("head", item.head.as_mut()),
            ("options", item.options.as_mut()),
        ];
        for (method, op) in ops {
            if let Some(op) = op {
                op.operation_id = Some(format!("{method}_{base}"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_table_tells_404_from_405() {
        let doc = crate::app::openapi();
        let t = RouteTable::from_doc(&doc);
        assert_eq!(
            t.allowed("/v1/accounts"),
            Some(vec!["GET".to_owned(), "POST".to_owned()])
        );
        assert_eq!(
            t.allowed("/v1/accounts/acct_x/credits/reservations/rsv_y/commit"),
            Some(vec!["POST".to_owned()])
        );
        assert!(t.has("POST", "/v1/accounts/acct_x/credits/debit"));
        assert!(!t.has("GET", "/v1/accounts/acct_x/credits/debit"));
        assert_eq!(t.allowed("/v1/accounts//credits"), None);
        assert_eq!(t.allowed("/v1/nothing"), None);
        // every operation is in the table
        for (m, p) in operations(&doc) {
            assert!(t.has(&m, &p.replace('{', "x").replace('}', "")), "{m} {p}");
        }
    }
}
