//! Billing details: legal name, billing e-mail, address with a country list, tax id with its
//! type, preferred currency. The account use case validates (the API's rules, errors named
//! by field); the page shows each error next to its field and saves nothing on error.

use actix_web::http::StatusCode;
use actix_web::web::{Bytes, Data, ServiceConfig};
use actix_web::{HttpRequest, HttpResponse, get, post};
use askama::Template;
use billing_domain::entities::BillingProfile;
use billing_domain::services::accounts::{BillingProfileInput, TaxIdInput};
use billing_domain::types::address::AddressInput;
use billing_domain::types::{CountryCode, Currency, TaxIdKind};

use crate::forms::{self, FieldErrors, Fields};
use crate::layout::Layout;
use crate::pages::{account, html, see_other};
use crate::session::PortalRequest;
use crate::{PageError, Portal};

pub(crate) fn configure(cfg: &mut ServiceConfig) {
    cfg.service(show).service(save);
}

/// The fields, in page order (the error summary follows it).
const FIELDS: [&str; 11] = [
    "legal_name",
    "billing_email",
    "address.line1",
    "address.line2",
    "address.city",
    "address.postal_code",
    "address.region",
    "address.country",
    "tax_id",
    "preferred_currency",
    "address",
];

#[derive(Template)]
#[template(path = "details.html")]
struct DetailsPage {
    layout: Layout,
    form: Fields,
    errors: FieldErrors,
    countries: Vec<(&'static str, &'static str)>,
    currencies: Vec<&'static str>,
    saved: bool,
}

fn from_profile(p: Option<&BillingProfile>) -> Fields {
    let mut f = Fields::default();
    let Some(p) = p else { return f };
    let mut put = |k: &str, v: String| {
        f.0.insert(k.to_owned(), v);
    };
    put("legal_name", p.legal_name.to_string());
    put("billing_email", p.billing_email.to_string());
    put("address.line1", p.address.line1.to_string());
    put(
        "address.line2",
        p.address
            .line2
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
    );
    put("address.city", p.address.city.to_string());
    put(
        "address.postal_code",
        p.address
            .postal_code
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
    );
    put(
        "address.region",
        p.address
            .region
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
    );
    put("address.country", p.address.country.as_str().to_owned());
    if let Some(t) = &p.tax_id {
        put(
            "tax_id.type",
            serde_json::to_value(t.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
        );
        put("tax_id.value", t.value.clone());
    }
    put(
        "preferred_currency",
        p.preferred_currency
            .map(|c| c.code().to_owned())
            .unwrap_or_default(),
    );
    f
}

fn countries() -> Vec<(&'static str, &'static str)> {
    let mut all: Vec<_> = CountryCode::all_codes()
        .into_iter()
        .filter_map(|c| CountryCode::parse(c).ok().map(|cc| (c, cc.name())))
        .collect();
    all.sort_by(|a, b| a.1.cmp(b.1));
    all
}

fn render(
    r: &PortalRequest,
    name: &str,
    form: Fields,
    errors: FieldErrors,
    saved: bool,
) -> HttpResponse {
    let status = if errors.any() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    html(
        status,
        &DetailsPage {
            layout: Layout::new(r, name, "Billing details", "details"),
            form,
            errors,
            countries: countries(),
            currencies: Currency::all_codes().to_vec(),
            saved,
        },
    )
}

#[get("/details")]
async fn show(
    portal: Data<Portal>,
    r: PortalRequest,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let acct = account(&portal, &r).await?;
    let saved = req.query_string().contains("saved=1");
    Ok(render(
        &r,
        acct.name.as_str(),
        from_profile(acct.billing_profile.as_ref()),
        FieldErrors::default(),
        saved,
    ))
}

/// The form as the use case's input. A tax id type the list does not know is an error on
/// that field, like the API's.
fn input(f: &Fields) -> Result<BillingProfileInput, FieldErrors> {
    let tax_id = match (f.get("tax_id.type"), f.get("tax_id.value")) {
        (None, None) => None,
        (kind, value) => {
            let kind: TaxIdKind = kind
                .and_then(|k| serde_json::from_value(serde_json::Value::String(k)).ok())
                .ok_or_else(|| {
                    FieldErrors(vec![("tax_id".into(), "Choose the type of tax id".into())])
                })?;
            Some(TaxIdInput {
                kind,
                value: value.unwrap_or_default(),
            })
        }
    };
    Ok(BillingProfileInput {
        legal_name: f.get("legal_name"),
        billing_email: f.get("billing_email"),
        address: Some(AddressInput {
            line1: f.get("address.line1"),
            line2: f.get("address.line2"),
            city: f.get("address.city"),
            region: f.get("address.region"),
            postal_code: f.get("address.postal_code"),
            country: f.get("address.country"),
        }),
        tax_id,
        preferred_currency: f.get("preferred_currency"),
    })
}

#[post("/details")]
async fn save(
    req: HttpRequest,
    portal: Data<Portal>,
    r: PortalRequest,
    body: Bytes,
) -> Result<HttpResponse, PageError> {
    let form = Fields::parse(&body)?;
    forms::check(&req, &r, form.get(forms::CSRF_FIELD).as_deref())?;
    let acct = account(&portal, &r).await?;
    let parsed = match input(&form) {
        Ok(i) => i,
        Err(errors) => return Ok(render(&r, acct.name.as_str(), form, errors, false)),
    };
    match portal
        .services
        .accounts
        .replace_billing_profile(&r.ctx, r.account(), parsed)
        .await
    {
        Ok(_) => Ok(see_other("/portal/details?saved=1")),
        Err(e) => {
            let errors = forms::field_error(e, &FIELDS)?;
            Ok(render(&r, acct.name.as_str(), form, errors, false))
        }
    }
}
