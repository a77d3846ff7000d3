//! `Authorization: Bearer <key>` authentication.
//!
//! [`Auth`] is the extractor handlers take; it resolves the key through
//! [`billing_domain::services::ApiKeyService::authenticate`] (keys are stored only hashed) and
//! hands the handler a [`RequestContext`]. Scopes and tenancy are enforced by the use cases.
//! The idempotency middleware authenticates earlier and caches the principal in the request's
//! extensions, so a request is authenticated once.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header::{AUTHORIZATION, HeaderMap};
use actix_web::web::Data;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use billing_domain::entities::Principal;
use billing_domain::entities::audit::RequestContext;

use crate::app::AppState;
use crate::auth_throttle::AuthThrottle;
use crate::error::ApiError;
use crate::request_id;

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Auth(pub RequestContext);

impl Auth {
    /// The use-case context.
    pub fn ctx(&self) -> &RequestContext {
        &self.0
    }
}

/// A caller who may be anonymous (public endpoints); a key, when sent, must be valid.
#[derive(Debug, Clone)]
pub struct MaybeAuth(pub Option<RequestContext>);

/// The principal cached in request extensions once authenticated.
#[derive(Debug, Clone)]
pub(crate) struct Authenticated(pub Principal);

fn challenge(e: ApiError) -> ApiError {
    e.header("WWW-Authenticate", "Bearer realm=\"billing\"")
}

/// The bearer token of `headers`: `Ok(None)` when there is no `Authorization` header.
pub fn bearer(headers: &HeaderMap) -> Result<Option<&str>, ApiError> {
    let Some(value) = headers.get(AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().map_err(|_| {
        challenge(ApiError::unauthenticated(
            "invalid_authorization",
            "the Authorization header is not valid text",
        ))
    })?;
    let (scheme, token) = value.trim().split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(challenge(ApiError::unauthenticated(
            "invalid_authorization",
            "use `Authorization: Bearer <API key>`",
        )));
    }
    Ok(Some(token.trim()))
}

type Shared = futures_util::future::Shared<
    futures_util::future::LocalBoxFuture<'static, Result<Option<Principal>, ApiError>>,
>;

/// Authenticates the request's key once per request: every extractor (and the idempotency
/// middleware) awaits the same shared lookup, cached in the request's extensions.
pub async fn authenticate(req: &HttpRequest) -> Result<Option<Principal>, ApiError> {
    if let Some(Authenticated(p)) = req.extensions().get::<Authenticated>() {
        return Ok(Some(p.clone()));
    }
    let existing = req.extensions().get::<Shared>().cloned();
    let shared = match existing {
        Some(s) => s,
        None => {
            let r = req.clone();
            let fut: futures_util::future::LocalBoxFuture<'static, _> =
                Box::pin(async move { lookup(&r).await });
            let s = futures_util::FutureExt::shared(fut);
            req.extensions_mut().insert(s.clone());
            s
        }
    };
    let out = shared.await;
    if let Ok(Some(p)) = &out {
        req.extensions_mut().insert(Authenticated(p.clone()));
    }
    out
}

/// Like [`authenticate`], but a missing key is a 401.
pub async fn require(req: &HttpRequest) -> Result<Principal, ApiError> {
    authenticate(req).await?.ok_or_else(|| {
        challenge(ApiError::unauthenticated(
            "missing_api_key",
            "no API key: send `Authorization: Bearer <API key>`",
        ))
    })
}

async fn lookup(req: &HttpRequest) -> Result<Option<Principal>, ApiError> {
    let Some(token) = bearer(req.headers())? else {
        return Ok(None);
    };
    let state = req
        .app_data::<Data<AppState>>()
        .ok_or_else(|| ApiError::internal("application state missing"))?;
    let peer = req.peer_addr().map(|a| a.ip().to_string());
    let subjects = AuthThrottle::subjects(peer.as_deref(), token);
    let (by_address, by_key) = subjects.split_at(subjects.len() - 1);
    // An address that kept failing is refused before its key is looked up.
    state.auth_throttle.check(by_address).map_err(throttled)?;
    match state.services.api_keys.authenticate(token).await {
        Ok(principal) => Ok(Some(principal)),
        Err(e) => match ApiError::from(e) {
            e if e.status.as_u16() == 401 => {
                // A key prefix that kept failing is refused too; a valid key with that
                // prefix is not (it never gets here), so nobody can lock a key out.
                state.auth_throttle.check(by_key).map_err(throttled)?;
                state.auth_throttle.record_failure(&subjects);
                Err(challenge(e))
            }
            e => Err(e),
        },
    }
}

fn throttled(retry_after: u64) -> ApiError {
    ApiError::new(
        actix_web::http::StatusCode::TOO_MANY_REQUESTS,
        crate::error::ErrorType::AuthenticationError,
        "too_many_failed_authentications",
        format!("too many failed authentications; retry in {retry_after} s"),
    )
    .header("Retry-After", retry_after.to_string())
}

fn context(principal: Principal) -> RequestContext {
    RequestContext {
        principal,
        request_id: request_id::current(),
    }
}

impl FromRequest for Auth {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { require(&req).await.map(|p| Auth(context(p))) })
    }
}

impl FromRequest for MaybeAuth {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { Ok(MaybeAuth(authenticate(&req).await?.map(context))) })
    }
}
