//! The test clock (`BILLING_TEST_MODE=true` only; 404 otherwise): move the server's time
//! forward and watch renewals, retries and expiries happen at their own instants.

use actix_web::web::Data;
use actix_web::{HttpRequest, HttpResponse, post};
use billing_domain::services::subscriptions::test_clock::{ClockAdvance, Sweeps};
use billing_domain::types::billing_interval::add_months_clamped;
use serde::Deserialize;
use time::{Duration, OffsetDateTime};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::app::AppState;
use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::openapi::PostErrors;
use crate::routes::HandlerResult;

/// Where to move the clock: exactly one of `to` and `advance`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClockInput {
    /// An RFC 3339 time at or after the clock's current time.
    #[schema(format = DateTime)]
    pub to: Option<String>,
    /// A forward ISO 8601 duration of one unit: `P3M`, `P1Y`, `P10D`, `P2W`, `PT6H`, `PT30M`,
    /// `PT10S`.
    pub advance: Option<String>,
}

/// Registers the route.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(advance);
}

struct StateSweeps<'a>(&'a AppState);

#[async_trait::async_trait]
impl Sweeps for StateSweeps<'_> {
    async fn run_once(&self) {
        crate::server::sweep_once(self.0).await;
        // The e-mail of each instant goes out at that instant, as it would in real time.
        if self.0.mail_enabled {
            crate::mail_worker::pass(self.0).await;
        }
    }
}

/// `now + advance`, months and years clamped to the month's end like periods.
fn parse_advance(now: OffsetDateTime, text: &str) -> Result<OffsetDateTime, ApiError> {
    let bad = || {
        ApiError::invalid(
            "advance",
            "use one unit: P3M, P1Y, P10D, P2W, PT6H, PT30M or PT10S",
        )
    };
    let (time_part, body) = match text.strip_prefix("PT") {
        Some(b) => (true, b),
        None => (false, text.strip_prefix('P').ok_or_else(bad)?),
    };
    let unit = body.chars().last().ok_or_else(bad)?;
    let n: u32 = body[..body.len() - 1].parse().map_err(|_| bad())?;
    let out = match (time_part, unit) {
        (true, 'H') => now.checked_add(Duration::hours(i64::from(n))),
        (true, 'M') => now.checked_add(Duration::minutes(i64::from(n))),
        (true, 'S') => now.checked_add(Duration::seconds(i64::from(n))),
        (false, 'D') => now.checked_add(Duration::days(i64::from(n))),
        (false, 'W') => now.checked_add(Duration::weeks(i64::from(n))),
        (false, 'M') => add_months_clamped(now, n),
        (false, 'Y') => add_months_clamped(now, n.checked_mul(12).ok_or_else(bad)?),
        _ => None,
    };
    out.ok_or_else(bad)
}

/// Move the clock forward (admin, test mode only): steps through every instant a
/// subscription has something due up to the target, running the scheduler and the janitors
/// at each; answers the instants and the events recorded. 400 for a time in the past.
#[utoipa::path(tag = "test-clock", request_body = ClockInput, security(("bearer" = [])),
    responses((status = 200, body = ClockAdvance), PostErrors))]
#[post("/v1/test/clock")]
async fn advance(
    req: HttpRequest,
    state: Data<AppState>,
    auth: Auth,
    body: JsonBody<ClockInput>,
) -> HandlerResult {
    auth.ctx().principal.ensure_admin()?;
    let Some(clock) = state.test_clock.clone() else {
        return Err(ApiError::route_not_found(req.method().as_str(), req.path()));
    };
    let now = state.services.clock.now();
    let to = match (&body.0.to, &body.0.advance) {
        (Some(t), None) => crate::extract::timestamp(Some(t), "to")?
            .ok_or_else(|| ApiError::invalid("to", "an RFC 3339 time is required"))?,
        (None, Some(a)) => parse_advance(now, a)?,
        _ => {
            return Err(ApiError::invalid(
                "to",
                "send exactly one of `to` and `advance`",
            ));
        }
    };
    let moved = state
        .payments
        .subscriptions
        .advance_clock(&clock, to, &StateSweeps(&state))
        .await?;
    Ok(HttpResponse::Ok().json(moved))
}
