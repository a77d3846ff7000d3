//! API keys: creation (shown once), listing, revocation, and authentication of requests.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use serde::{Deserialize, Serialize};

use crate::entities::api_key::hash_secret;
use crate::entities::audit::RequestContext;
use crate::entities::{ApiKey, ApiKeyScope, NewApiKeySecret, Principal};
use crate::error::{BillingError, BillingResult, ValidationError};
use crate::ports::{Clock, Repositories};
use crate::services::input::required;
use crate::types::{AccountId, ApiKeyId, BoundedText, Page, PageRequest};

/// A new key as sent.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateApiKeyInput {
    /// What it is for (≤ 100). Defaults to the scope name.
    pub name: Option<String>,
    /// `admin`, `service` or `account`.
    pub scope: Option<String>,
    /// Required for (and only for) `account` keys.
    pub account_id: Option<String>,
}

/// How long an authenticated key is trusted without asking the store again. Revoking a key
/// clears it from this process's cache at once; other instances see it within this time.
pub const AUTH_CACHE_SECONDS: i64 = 5;
/// Bound on cached keys; the cache is emptied when it is reached.
const AUTH_CACHE_MAX: usize = 10_000;

type AuthCache = HashMap<String, (Principal, time::OffsetDateTime)>;

/// API key use cases.
#[derive(Clone)]
pub struct ApiKeyService {
    repos: Repositories,
    clock: Arc<dyn Clock>,
    // Keyed by the secret's hash: every request authenticates, and this saves a round trip.
    cache: Arc<Mutex<AuthCache>>,
}

impl ApiKeyService {
    /// Wires the service.
    pub fn new(repos: Repositories, clock: Arc<dyn Clock>) -> Self {
        Self {
            repos,
            clock,
            cache: Arc::default(),
        }
    }

    /// Creates a key (admin, or the system from the CLI). The secret is returned once and
    /// never stored.
    pub async fn create(
        &self,
        ctx: &RequestContext,
        input: CreateApiKeyInput,
    ) -> BillingResult<(ApiKey, NewApiKeySecret)> {
        ctx.principal.ensure_admin()?;
        let scope_text = required(input.scope.as_deref(), "scope")?;
        let scope = ApiKeyScope::parse(scope_text)
            .ok_or_else(|| ValidationError::new("scope", "must be admin, service or account"))?;
        let account_id = match (scope, input.account_id.as_deref()) {
            (ApiKeyScope::Account, None) => {
                return Err(
                    ValidationError::new("account_id", "is required for account keys").into(),
                );
            }
            (ApiKeyScope::Account, Some(a)) => {
                let id = AccountId::parse(a, "account_id")?;
                if self.repos.accounts.get(&id).await?.is_none() {
                    return Err(
                        ValidationError::rule("account_id", format!("no account {id}")).into(),
                    );
                }
                Some(id)
            }
            (_, Some(_)) => {
                return Err(ValidationError::new(
                    "account_id",
                    "only account keys are bound to an account",
                )
                .into());
            }
            (_, None) => None,
        };
        let now = self.clock.now();
        let secret = NewApiKeySecret::generate(scope);
        let key = ApiKey {
            id: ApiKeyId::generate(now),
            name: BoundedText::new(input.name.as_deref().unwrap_or(scope.as_str()), "name", 100)?,
            scope,
            account_id,
            prefix: secret.prefix(),
            secret_hash: secret.hash(),
            created_at: now,
            revoked_at: None,
        };
        let audit = ctx.audit(
            now,
            "api_key.create",
            "api_key",
            key.id.as_str(),
            None,
            None::<&()>,
            Some(&key),
        );
        self.repos.api_keys.insert(&key, Some(audit)).await?;
        Ok((key, secret))
    }

    /// Keys newest first (admin). Secrets are never shown.
    pub async fn list(
        &self,
        ctx: &RequestContext,
        page: &PageRequest,
    ) -> BillingResult<Page<ApiKey>> {
        ctx.principal.ensure_admin()?;
        Ok(self.repos.api_keys.list(page).await?)
    }

    /// Revokes a key (admin); revoking twice is harmless.
    pub async fn revoke(&self, ctx: &RequestContext, id: &str) -> BillingResult<ApiKey> {
        ctx.principal.ensure_admin()?;
        let id = ApiKeyId::parse(id, "id")?;
        let before = self
            .repos
            .api_keys
            .get(&id)
            .await?
            .ok_or_else(|| BillingError::not_found("api_key", &id))?;
        if before.revoked_at.is_some() {
            return Ok(before); // revoking again changes nothing, and audits nothing
        }
        let now = self.clock.now();
        let mut after = before.clone();
        after.revoked_at.get_or_insert(now);
        let audit = ctx.audit(
            now,
            "api_key.revoke",
            "api_key",
            id.as_str(),
            None,
            Some(&before),
            Some(&after),
        );
        let revoked = self.repos.api_keys.revoke(&id, now, &audit).await?;
        self.cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|_, (p, _)| p.key_id.as_ref() != Some(&id));
        Ok(revoked)
    }

    /// Who presents `secret`? Unknown and revoked keys are refused alike.
    pub async fn authenticate(&self, secret: &str) -> BillingResult<Principal> {
        if secret.is_empty() || secret.len() > 200 {
            return Err(BillingError::Unauthenticated("invalid API key".into()));
        }
        let hash = hash_secret(secret);
        let now = self.clock.now();
        if let Some((p, until)) = self
            .cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&hash)
            && *until > now
        {
            return Ok(p.clone());
        }
        match self.repos.api_keys.find_by_hash(&hash).await? {
            Some(k) if k.revoked_at.is_none() => {
                let principal = Principal {
                    key_id: Some(k.id),
                    scope: k.scope,
                    account_id: k.account_id,
                    portal_session: None,
                };
                let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
                if cache.len() >= AUTH_CACHE_MAX {
                    cache.clear();
                }
                cache.insert(
                    hash,
                    (
                        principal.clone(),
                        now + time::Duration::seconds(AUTH_CACHE_SECONDS),
                    ),
                );
                Ok(principal)
            }
            Some(_) => Err(BillingError::Unauthenticated(
                "this API key was revoked".into(),
            )),
            None => Err(BillingError::Unauthenticated("invalid API key".into())),
        }
    }
}
