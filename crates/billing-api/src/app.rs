//! The actix-web application: shared state, middleware order, routes, fallbacks.

use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::from_fn;
use actix_web::web::{self, Data};
use actix_web::{App, HttpRequest, HttpResponse};
use billing_domain::entities::PaymentMethodKind;
use billing_domain::ports::{Clock, Repositories, SystemClock};
use billing_domain::services::{
    GatewayAvailability, GatewayRegistry, PaymentServices, PaymentSettings, Services,
};
use billing_gateway_manual::ManualGateway;
use utoipa::OpenApi as _;
use utoipa_actix_web::AppExt;

use crate::config::Config;
use crate::error::ApiError;
use crate::extract::MAX_BODY_BYTES;
use crate::metrics::Metrics;
use crate::openapi::{ApiDoc, RouteTable};
use crate::store::StoreHandle;
use crate::{idempotency, request_id, routes};

/// The gateways of this deployment and the availability the payment-method resolver reports.
///
/// The manual gateway (bank transfer, local wallets) needs nothing and is always on. Stripe and
/// PayPal are on when their settings are in `config.gateway_env` (`BILLING_STRIPE_*`,
/// `BILLING_PAYPAL_*`); otherwise they stay off and the resolver says why.
pub fn gateways(config: &Config) -> (GatewayRegistry, GatewayAvailability) {
    gateways_with_clock(config, Arc::new(SystemClock))
}

/// Like [`gateways`], with the clock the gateways check webhook timestamps against.
pub fn gateways_with_clock(
    config: &Config,
    clock: Arc<dyn Clock>,
) -> (GatewayRegistry, GatewayAvailability) {
    let env = |k: &str| config.gateway_env.get(k);
    let mut registry = GatewayRegistry::default().with(Arc::new(ManualGateway));
    let mut availability = GatewayAvailability::all();
    let stripe = billing_gateway_stripe::StripeConfig::from_lookup(env).and_then(|c| match c {
        Some(c) => billing_gateway_stripe::StripeGateway::with_clock(c, clock.clone())
            .map(Some)
            .map_err(|e| e.to_string()),
        None => Ok(None),
    });
    match stripe {
        Ok(Some(gateway)) => registry = registry.with(Arc::new(gateway)),
        Ok(None) => {
            availability = availability.without(
                PaymentMethodKind::Stripe,
                "Stripe is not configured in this deployment",
            );
        }
        Err(e) => {
            tracing::warn!(error = %e, "Stripe is configured wrongly and stays off");
            availability = availability.without(
                PaymentMethodKind::Stripe,
                format!("Stripe is not configured in this deployment: {e}"),
            );
        }
    }
    let paypal = billing_gateway_paypal::PayPalConfig::from_lookup(env)
        .map_err(|e| {
            (
                matches!(e, billing_gateway_paypal::ConfigError::NotConfigured { .. }),
                e.to_string(),
            )
        })
        .and_then(|c| {
            billing_gateway_paypal::PayPalGateway::new(c)
                .map(|g| g.with_clock(clock.clone()))
                .map_err(|e| (false, e.to_string()))
        });
    match paypal {
        Ok(gateway) => registry = registry.with(Arc::new(gateway)),
        Err((not_configured, e)) => {
            if !not_configured {
                tracing::warn!(error = %e, "PayPal is configured wrongly and stays off");
            }
            availability = availability.without(
                PaymentMethodKind::Paypal,
                format!("PayPal is not configured in this deployment ({e})"),
            );
        }
    }
    (registry, availability)
}

/// Every core use case wired to `repos`, reading time from `clock`.
pub fn services(repos: Repositories, config: &Config, clock: Arc<dyn Clock>) -> Services {
    Services::new(repos, clock.clone(), gateways_with_clock(config, clock).1)
}

/// What every handler can reach.
pub struct AppState {
    /// The core use cases.
    pub services: Services,
    /// The payment use cases.
    pub payments: PaymentServices,
    /// Invoice PDFs.
    pub documents: billing_domain::services::InvoiceDocumentService,
    /// Transactional e-mail.
    pub notifications: billing_domain::services::notifications::NotificationService,
    /// Whether the mail worker runs (`BILLING_MAIL_ENABLED`).
    pub mail_enabled: bool,
    /// Payment settings (proof size limit, …).
    pub settings: PaymentSettings,
    /// The store (for readiness).
    pub store: StoreHandle,
    /// Metrics registry.
    pub metrics: Arc<Metrics>,
    /// Routes, for 404-vs-405 and idempotency.
    pub routes: RouteTable,
    /// The OpenAPI document, serialized once.
    pub openapi_json: String,
    /// The reference page served at `/docs`, rendered from the same document.
    pub docs_html: String,
    /// Where the PayPal return redirects the payer (`BILLING_PAYPAL_RETURN_PAGE`).
    pub paypal_return_page: Option<String>,
    /// The movable clock, only in test mode (`BILLING_TEST_MODE=true`).
    pub test_clock: Option<Arc<billing_domain::ports::TestClock>>,
    /// How long an unfinished request holds its Idempotency-Key.
    pub idempotency_lease: time::Duration,
    /// This process's name as a holder of job leases (random per start).
    pub process_id: String,
    /// Shutdown state (draining, sweeps stopping).
    pub lifecycle: Arc<crate::lifecycle::Lifecycle>,
    /// Failed-authentication counts of this process.
    pub auth_throttle: Arc<crate::auth_throttle::AuthThrottle>,
    /// The billing portal's pages and their use cases (mounted under `/portal`).
    pub portal: Data<billing_web::Portal>,
    /// The base of portal links (`BILLING_PUBLIC_URL`); `None`: the request's own host.
    pub public_url: Option<String>,
    /// Tax rates and which applies to an account.
    pub tax_rates: billing_domain::services::tax_rates::TaxRateService,
}

impl AppState {
    /// Wires the use cases to `store` with the system clock.
    pub fn new(store: StoreHandle, config: &Config) -> Self {
        Self::with_clock(store, config, Arc::new(SystemClock))
    }

    /// Wires the use cases to `store`, reading time from `clock` (tests travel in time).
    pub fn with_clock(store: StoreHandle, config: &Config, clock: Arc<dyn Clock>) -> Self {
        // One gateway set: the registry serves payments, its availability the resolver.
        let (registry, availability) = gateways_with_clock(config, clock.clone());
        let services = Services::new(store.repos.clone(), clock, availability);
        let payments = PaymentServices::new(
            &services,
            store.flow.clone(),
            registry,
            config.payments.clone(),
        )
        .with_webhook_events(store.webhook_events());
        let documents = billing_domain::services::InvoiceDocumentService::new(
            payments.events.deps().clone(),
            Arc::new(billing_pdf::TypstRenderer::new(config.seller_logo.clone())),
            config.seller.clone(),
        );
        let (mailer, domain) = config.mail.mailer().unwrap_or_else(|e| {
            let m: Arc<dyn billing_domain::ports::Mailer> =
                Arc::new(crate::config_mail::UnusableMailer(e.to_string()));
            (m, "localhost".to_owned())
        });
        let notifications = billing_domain::services::notifications::NotificationService::new(
            payments.events.deps().clone(),
            documents.clone(),
            Arc::new(billing_mail::AskamaTemplates),
            mailer,
            domain,
        );
        let portal = Data::new(billing_web::Portal {
            services: services.clone(),
            payments: payments.clone(),
            documents: documents.clone(),
            sessions: billing_domain::services::PortalSessionService::new(
                services.repos.clone(),
                services.clock.clone(),
                config.portal.sessions.clone(),
            ),
            settings: billing_web::WebSettings {
                seller_name: config.seller.legal_name.clone(),
                frame_ancestors: config.portal.frame_ancestors.clone(),
                max_proof_bytes: config.payments.max_proof_bytes,
                request_id: crate::request_id::current,
            },
        });
        let tax_rates = billing_domain::services::tax_rates::TaxRateService::new(
            services.repos.clone(),
            services.clock.clone(),
            config.seller_tax,
        );
        let doc = openapi();
        let served = crate::openapi_rules::with_conventions(&doc);
        Self {
            services,
            payments,
            documents,
            notifications,
            mail_enabled: config.mail.enabled,
            settings: config.payments.clone(),
            store,
            metrics: Arc::new(Metrics::new()),
            routes: RouteTable::from_doc(&doc),
            openapi_json: serde_json::to_string_pretty(&served).unwrap_or_else(|_| "{}".to_owned()),
            docs_html: crate::docs_page::render(&served),
            paypal_return_page: config.paypal_return_page.clone(),
            test_clock: None,
            idempotency_lease: time::Duration::try_from(config.idempotency_lease)
                .unwrap_or(time::Duration::minutes(2)),
            process_id: format!(
                "{}-{}",
                std::process::id(),
                billing_domain::types::EventId::generate(time::OffsetDateTime::now_utc())
            ),
            lifecycle: Arc::default(),
            auth_throttle: Arc::new(crate::auth_throttle::AuthThrottle::new(
                config.auth_failure_limit,
            )),
            tax_rates,
            portal,
            public_url: config.portal.public_url.clone(),
        }
    }

    /// Wires the use cases on a test clock, which `POST /v1/test/clock` moves when
    /// `config.test_mode` is on.
    pub fn with_test_clock(
        store: StoreHandle,
        config: &Config,
        clock: Arc<billing_domain::ports::TestClock>,
    ) -> Self {
        let mut state = Self::with_clock(store, config, clock.clone());
        state.test_clock = config.test_mode.then_some(clock);
        state
    }
}

/// The OpenAPI document of exactly the routes [`build`] registers.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(routes::configure)
        .split_for_parts()
        .1;
    crate::openapi::unique_operation_ids(&mut doc);
    doc
}

/// The document as served at `/openapi.json`: [`openapi`] with the rules the generated
/// schemas cannot state themselves ([`crate::openapi_rules`]).
pub fn openapi_json() -> serde_json::Value {
    crate::openapi_rules::with_conventions(&openapi())
}

/// Unknown route (404) or known path with another method (405), in the standard error shape.
async fn fallback(req: HttpRequest, state: Data<AppState>) -> Result<HttpResponse, ApiError> {
    let path = req.path();
    Err(match state.routes.allowed(path) {
        Some(methods) => ApiError::method_not_allowed(req.method().as_str(), path, &methods),
        None => ApiError::route_not_found(req.method().as_str(), path),
    })
}

fn query_error(e: actix_web::error::QueryPayloadError, _: &HttpRequest) -> actix_web::Error {
    let message = format!("invalid query string: {e}");
    // serde names an unknown or malformed parameter in backticks: point `param` at it.
    let field = message
        .split_once("field `")
        .and_then(|(_, rest)| rest.split_once('`'))
        .map(|(f, _)| f.to_owned());
    let err = ApiError::bad_request("invalid_query", message);
    match field {
        Some(f) => err.param(f),
        None => err,
    }
    .into()
}

fn path_error(e: actix_web::error::PathError, _: &HttpRequest) -> actix_web::Error {
    ApiError::bad_request("invalid_path", format!("invalid path: {e}")).into()
}

/// The application for one worker: routes, state, fallbacks, middleware
/// (outermost first: request id + logs + metrics, then idempotency).
pub fn build(
    state: Data<AppState>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let (app, _) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(routes::configure)
        .split_for_parts();
    let portal = state.portal.clone();
    app.app_data(state)
        .service(billing_web::scope(portal))
        .app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
        .app_data(web::QueryConfig::default().error_handler(query_error))
        .app_data(web::PathConfig::default().error_handler(path_error))
        .default_service(web::to(fallback))
        .wrap(from_fn(idempotency::middleware))
        .wrap(from_fn(request_id::middleware))
}
