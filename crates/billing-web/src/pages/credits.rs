//! Buy credits: the packages (featured first, discount shown, priced in the account's
//! currency), the methods the resolver offers this account, then checkout. Stripe and
//! PayPal leave for the gateway and come back to the payment's confirmation page; bank
//! transfer and wallets go to the manual payment page.

use actix_web::http::StatusCode;
use actix_web::web::{Bytes, Data, ServiceConfig};
use actix_web::{HttpRequest, HttpResponse, get, post};
use askama::Template;
use billing_domain::entities::{Account, NextAction};
use billing_domain::services::purchases::PurchaseInput;

use crate::format;
use crate::forms::{self, FieldErrors, Fields};
use crate::layout::Layout;
use crate::pages::{account, html, see_other};
use crate::session::PortalRequest;
use crate::{PageError, Portal};

pub(crate) fn configure(cfg: &mut ServiceConfig) {
    cfg.service(show).service(buy);
}

struct PackageView {
    id: String,
    name: String,
    description: String,
    credits: String,
    price: String,
    list_price: String,
    discount: String,
    featured: bool,
    checked: bool,
}

struct MethodView {
    kind: String,
    name: String,
    hint: String,
    checked: bool,
}

#[derive(Template)]
#[template(path = "credits.html")]
struct CreditsPage {
    layout: Layout,
    packages: Vec<PackageView>,
    methods: Vec<MethodView>,
    currency: String,
    needs_profile: bool,
    errors: FieldErrors,
}

async fn render(
    portal: &Portal,
    r: &PortalRequest,
    acct: &Account,
    form: &Fields,
    errors: FieldErrors,
) -> Result<CreditsPage, PageError> {
    let preferred = acct
        .billing_profile
        .as_ref()
        .and_then(|p| p.preferred_currency);
    let chosen = form.get("credit_package_id");
    let mut currency = preferred;
    let mut packages = Vec::new();
    for p in portal.services.packages.list_public().await? {
        let Some(price) = p
            .prices
            .candidates(None, preferred)
            .ok()
            .and_then(|c| c.into_iter().next())
        else {
            continue;
        };
        currency.get_or_insert(price.currency);
        let net = p.net_of(price);
        let discounted = net.amount != price.amount;
        packages.push(PackageView {
            checked: chosen.as_deref() == Some(p.id.as_str()),
            id: p.id.to_string(),
            name: p.name.to_string(),
            description: p.description.map(|d| d.to_string()).unwrap_or_default(),
            credits: format::credits(p.credits.get()),
            price: format::money(net.amount, net.currency),
            list_price: if discounted {
                format::money(price.amount, price.currency)
            } else {
                String::new()
            },
            discount: if discounted {
                format!("Save {}%", p.discount_percent.normalize())
            } else {
                String::new()
            },
            featured: p.featured,
        });
    }
    let needs_profile = acct.billing_profile.is_none();
    let chosen_method = form.get("payment_method");
    let methods = if needs_profile {
        Vec::new()
    } else {
        portal
            .services
            .payment_methods
            .available(&r.ctx, r.account(), currency.map(|c| c.code()), None)
            .await?
            .into_iter()
            .map(|m| MethodView {
                checked: chosen_method.as_deref() == Some(m.method.as_str()),
                kind: m.method.as_str().to_owned(),
                name: m.display_name.to_string(),
                hint: if m.method.is_manual() {
                    "Pay by transfer; credits arrive once we confirm it".to_owned()
                } else {
                    "Pay now; credits arrive when the payment settles".to_owned()
                },
            })
            .collect()
    };
    Ok(CreditsPage {
        layout: Layout::new(r, acct.name.as_str(), "Buy credits", "credits"),
        packages,
        methods,
        currency: currency.map(|c| c.code().to_owned()).unwrap_or_default(),
        needs_profile,
        errors,
    })
}

#[get("/credits")]
async fn show(portal: Data<Portal>, r: PortalRequest) -> Result<HttpResponse, PageError> {
    let acct = account(&portal, &r).await?;
    let page = render(
        &portal,
        &r,
        &acct,
        &Fields::default(),
        FieldErrors::default(),
    )
    .await?;
    Ok(html(StatusCode::OK, &page))
}

#[post("/credits")]
async fn buy(
    req: HttpRequest,
    portal: Data<Portal>,
    r: PortalRequest,
    body: Bytes,
) -> Result<HttpResponse, PageError> {
    let form = Fields::parse(&body)?;
    forms::check(&req, &r, form.get(forms::CSRF_FIELD).as_deref())?;
    let input = PurchaseInput {
        credit_package_id: form.get("credit_package_id"),
        payment_method: form.get("payment_method"),
        currency: form.get("currency"),
    };
    let known = ["credit_package_id", "payment_method", "currency"];
    match portal
        .payments
        .purchases
        .purchase(&r.ctx, r.account(), input)
        .await
    {
        Ok(done) => Ok(match done.next_action {
            Some(NextAction::RedirectToUrl { url }) => see_other(&url),
            _ => see_other(&format!("/portal/payments/{}", done.payment.id)),
        }),
        Err(e) => {
            let errors = forms::field_error(e, &known)?;
            let acct = account(&portal, &r).await?;
            let page = render(&portal, &r, &acct, &form, errors).await?;
            Ok(html(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
    }
}
