//! HTTP handlers, one module per resource. Each handler only translates HTTP to a use case of
//! [`billing_domain::services`] and back; scopes, tenancy and validation live in the domain.

pub mod accounts;
pub mod api_keys;
pub mod audit;
pub mod catalog;
pub mod credits;
pub mod emails;
pub mod gateways;
pub mod invoice_pdfs;
pub mod invoices;
pub mod manual_payments;
pub mod operations;
pub mod payment_methods;
pub mod payments;
pub mod plans;
pub mod portal;
pub mod purchases;
pub mod refunds;
pub mod reservations;
pub mod subscriptions;
pub mod tax_rates;
pub mod test_clock;

use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;

use billing_domain::BillingError;

use crate::error::ApiError;

/// The result of every handler.
pub type HandlerResult = Result<actix_web::HttpResponse, ApiError>;

/// Cursor pagination parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// Page size, 1–100 (default 20).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    /// Id of the last item of the previous page.
    pub starting_after: Option<String>,
}

impl PageQuery {
    /// The validated page request.
    pub fn page(&self) -> Result<billing_domain::types::PageRequest, ApiError> {
        crate::extract::page(self.limit.as_deref(), self.starting_after.clone())
    }
}

/// Registers every route (and so documents it).
pub fn configure(cfg: &mut ServiceConfig) {
    operations::configure(cfg);
    accounts::configure(cfg);
    catalog::configure(cfg);
    plans::configure(cfg);
    subscriptions::configure(cfg);
    test_clock::configure(cfg);
    payment_methods::configure(cfg);
    api_keys::configure(cfg);
    audit::configure(cfg);
    emails::configure(cfg);
    credits::configure(cfg);
    reservations::configure(cfg);
    invoices::configure(cfg);
    invoice_pdfs::configure(cfg);
    purchases::configure(cfg);
    payments::configure(cfg);
    manual_payments::configure(cfg);
    refunds::configure(cfg);
    gateways::configure(cfg);
    portal::configure(cfg);
    tax_rates::configure(cfg);
}

/// Maps a use case's error for a request whose `fields` come from the path: a malformed id
/// there names nothing that exists, so it is a 404 like an unknown id, not a 400.
pub fn path_ids(fields: &'static [&'static str]) -> impl Fn(BillingError) -> ApiError {
    move |e| match e {
        BillingError::Validation(v) if fields.contains(&v.field.as_str()) => ApiError::new(
            actix_web::http::StatusCode::NOT_FOUND,
            crate::error::ErrorType::NotFound,
            "resource_missing",
            format!("no such resource: {}", v.message),
        )
        .param(v.field),
        e => e.into(),
    }
}
