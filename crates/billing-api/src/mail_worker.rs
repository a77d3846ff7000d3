//! The mail worker: in every server process, each interval, queue the e-mail of new outbox
//! events and deliver what is due. Several processes on one database share the work through
//! the queue's leases (see `billing_domain::services::notifications`).

use std::time::Duration;

use actix_web::web::Data;

use crate::app::AppState;

/// Events handled per dispatch step, and messages per delivery step.
const DISPATCH_BATCH: u32 = 100;
const DELIVERY_BATCH: u32 = 20;
/// Steps per pass at most, so one pass never starves shutdown.
const MAX_STEPS: usize = 20;

/// Runs passes every `interval` until the sweeps stop (see [`crate::server`]).
pub(crate) async fn run(state: Data<AppState>, interval: Duration, first_pass_now: bool) {
    if !state.mail_enabled {
        tracing::info!(
            "e-mail is off (BILLING_MAIL_ENABLED=false): events are recorded, not mailed"
        );
        return;
    }
    let to = state.notifications.mailer_description();
    if to.starts_with("files in") {
        tracing::warn!(to = %to, "no SMTP server configured: e-mail is written as .eml files, not sent");
    } else {
        tracing::info!(to = %to, "mail worker started");
    }
    let mut ticker = crate::server::pass_ticker(interval, first_pass_now);
    while crate::server::next_pass(&mut ticker, &state.lifecycle).await {
        pass(&state).await;
    }
}

/// One pass: queue, then deliver, each until nothing is left or [`MAX_STEPS`].
pub async fn pass(state: &AppState) {
    let n = &state.notifications;
    for _ in 0..MAX_STEPS {
        match n.dispatch(DISPATCH_BATCH).await {
            Ok(r) => {
                for (event, why) in &r.skipped {
                    tracing::error!(event = %event, error = %why, "e-mail not queued");
                }
                if r.queued > 0 {
                    tracing::debug!(queued = r.queued, "e-mail queued");
                }
                if r.queued + r.skipped.len() == 0 {
                    break;
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "e-mail dispatch failed");
                break;
            }
        }
    }
    for _ in 0..MAX_STEPS {
        match n.deliver(DELIVERY_BATCH).await {
            Ok(r) => {
                if r.sent + r.deferred + r.failed > 0 {
                    tracing::info!(
                        sent = r.sent,
                        deferred = r.deferred,
                        failed = r.failed,
                        "e-mail delivered"
                    );
                }
                if r.failed > 0 {
                    tracing::warn!(
                        failed = r.failed,
                        "e-mail given up; see GET /v1/admin/emails?status=failed"
                    );
                }
                if r.sent + r.deferred + r.failed < DELIVERY_BATCH as usize {
                    break;
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "e-mail delivery failed");
                break;
            }
        }
    }
}
