//! Billing-portal links and sessions: the platform's backend asks for a one-time link, its
//! user opens it, and the session it creates acts as that account and nothing else.
//!
//! A session's principal is [`Principal::portal`]: the rights of an `account` key bound to
//! the session's account. Every page calls the same use cases as the JSON API with it, so
//! the portal enforces no rule of its own.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use time::Duration;

use crate::entities::audit::RequestContext;
use crate::entities::{PortalFlow, PortalLink, PortalSecret, PortalSession};
use crate::error::{BillingError, BillingResult, ValidationError};
use crate::ports::{Clock, NewPortalSession, Repositories};
use crate::services::input::required;
use crate::types::{AccountId, InvoiceId, PaymentId, PortalSessionId};

/// How long links and sessions live, and where a session may return to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortalSettings {
    /// A link opens nothing after this (10 minutes).
    pub link_ttl: Duration,
    /// A session ends after this long without a request.
    pub idle_timeout: Duration,
    /// A session ends this long after it began, however busy.
    pub lifetime: Duration,
    /// When not empty, a `return_url` must begin with one of these origins
    /// (`https://app.example.com`); empty allows any http(s) URL.
    pub return_origins: Vec<String>,
}

impl Default for PortalSettings {
    fn default() -> Self {
        Self {
            link_ttl: Duration::minutes(10),
            idle_timeout: Duration::minutes(30),
            lifetime: Duration::hours(4),
            return_origins: Vec::new(),
        }
    }
}

/// Where a new link should land.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PortalFlowInput {
    /// `buy_credits`, `pay_invoice`, `manual_payment` or `subscription`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// For `pay_invoice`: an invoice of the account.
    pub invoice_id: Option<String>,
    /// For `manual_payment`: a bank-transfer or wallet payment of the account.
    pub payment_id: Option<String>,
}

/// A request for a portal link.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreatePortalSessionInput {
    /// The account whose portal to open.
    pub account_id: Option<String>,
    /// The platform page the "Return" link leads to: an absolute http(s) URL.
    pub return_url: Option<String>,
    /// Where to land; absent: the overview.
    pub flow: Option<PortalFlowInput>,
}

/// Portal use cases.
#[derive(Clone)]
pub struct PortalSessionService {
    repos: Repositories,
    clock: Arc<dyn Clock>,
    settings: PortalSettings,
}

impl PortalSessionService {
    /// Wires the service.
    pub fn new(repos: Repositories, clock: Arc<dyn Clock>, settings: PortalSettings) -> Self {
        Self {
            repos,
            clock,
            settings,
        }
    }

    /// Creates a one-time link (service or admin). The token is returned once and stored
    /// only as its hash.
    pub async fn create_link(
        &self,
        ctx: &RequestContext,
        input: CreatePortalSessionInput,
    ) -> BillingResult<(PortalSecret, PortalLink)> {
        ctx.principal.ensure_service()?;
        let account_id = AccountId::parse(
            required(input.account_id.as_deref(), "account_id")?,
            "account_id",
        )?;
        let return_url = self.return_url(required(input.return_url.as_deref(), "return_url")?)?;
        if self.repos.accounts.get(&account_id).await?.is_none() {
            return Err(
                ValidationError::rule("account_id", format!("no account {account_id}")).into(),
            );
        }
        let flow = match input.flow {
            Some(f) => Some(self.flow(&account_id, f).await?),
            None => None,
        };
        let now = self.clock.now();
        let secret = PortalSecret::generate();
        let link = PortalLink {
            token_hash: secret.hash(),
            account_id,
            return_url,
            flow,
            created_at: now,
            expires_at: now + self.settings.link_ttl,
            used_at: None,
        };
        let audit = ctx.audit(
            now,
            "portal_link.create",
            "account",
            link.account_id.as_str(),
            None,
            None::<&()>,
            Some(&serde_json::json!({
                "return_url": link.return_url,
                "flow": link.flow,
                "expires_at": link.expires_at.unix_timestamp(),
            })),
        );
        self.repos
            .portal_sessions
            .insert_link(&link, &audit)
            .await?;
        Ok((secret, link))
    }

    /// Opens a link: a new session and its cookie secret. A used, expired or unknown link
    /// is refused the same way, so a link cannot be probed.
    pub async fn open(&self, link_token: &str) -> BillingResult<(PortalSecret, PortalSession)> {
        let now = self.clock.now();
        let cookie = PortalSecret::generate();
        let session = NewPortalSession {
            id: PortalSessionId::generate(now),
            token_hash: cookie.hash(),
            csrf_token: PortalSecret::generate().0,
            created_at: now,
            idle_expires_at: now + self.settings.idle_timeout.min(self.settings.lifetime),
            expires_at: now + self.settings.lifetime,
        };
        let hash = PortalSecret(link_token.to_owned()).hash();
        match self
            .repos
            .portal_sessions
            .redeem_link(&hash, now, &session)
            .await?
        {
            Some(s) => Ok((cookie, s)),
            None => Err(BillingError::Unauthenticated(
                "this portal link has expired or was already used".into(),
            )),
        }
    }

    /// The live session behind a cookie secret, its idle timeout renewed; `None` when it
    /// is unknown, revoked or timed out.
    pub async fn authenticate(&self, cookie: &str) -> BillingResult<Option<PortalSession>> {
        let now = self.clock.now();
        let hash = PortalSecret(cookie.to_owned()).hash();
        Ok(self
            .repos
            .portal_sessions
            .touch_session(&hash, now, now + self.settings.idle_timeout)
            .await?)
    }

    /// Ends a session (sign out).
    pub async fn sign_out(&self, session: &PortalSession) -> BillingResult<()> {
        Ok(self
            .repos
            .portal_sessions
            .revoke_session(&session.id, self.clock.now())
            .await?)
    }

    /// Ends every session of an account (service or admin), audited; returns how many.
    pub async fn revoke_all(&self, ctx: &RequestContext, account_id: &str) -> BillingResult<u64> {
        ctx.principal.ensure_service()?;
        let account = AccountId::parse(account_id, "account_id")?;
        if self.repos.accounts.get(&account).await?.is_none() {
            return Err(BillingError::not_found("account", &account));
        }
        let now = self.clock.now();
        let audit = ctx.audit(
            now,
            "portal_sessions.revoke",
            "account",
            account.as_str(),
            None,
            None::<&()>,
            None::<&()>,
        );
        Ok(self
            .repos
            .portal_sessions
            .revoke_account_sessions(&account, now, &audit)
            .await?)
    }

    /// Deletes links and sessions that ended more than a day ago.
    pub async fn prune(&self) -> BillingResult<u64> {
        let before = self.clock.now() - Duration::days(1);
        Ok(self.repos.portal_sessions.prune(before).await?)
    }

    /// The context a session's requests run in: the session's account and nothing else.
    pub fn context(session: &PortalSession, request_id: Option<String>) -> RequestContext {
        RequestContext {
            principal: crate::entities::Principal::portal(
                session.account_id.clone(),
                session.id.clone(),
            ),
            request_id,
        }
    }

    /// An absolute http(s) URL without spaces or credentials, inside the allowed origins.
    fn return_url(&self, url: &str) -> Result<String, ValidationError> {
        let field = "return_url";
        let rest = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))
            .ok_or_else(|| ValidationError::new(field, "must be an absolute http(s) URL"))?;
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        if url.len() > 2000 {
            return Err(ValidationError::new(
                field,
                "must be at most 2000 characters",
            ));
        }
        if authority.is_empty() || authority.contains('@') {
            return Err(ValidationError::new(
                field,
                "must name a host, without credentials",
            ));
        }
        // Printable ASCII only (a platform percent-encodes the rest): nothing that could
        // break out of the attribute the URL is printed in.
        if !url
            .bytes()
            .all(|b| b.is_ascii_graphic() && !matches!(b, b'<' | b'>' | b'"'))
        {
            return Err(ValidationError::new(
                field,
                "must be printable ASCII without spaces, quotes or angle brackets (percent-encode the rest)",
            ));
        }
        let allowed = self.settings.return_origins.is_empty()
            || self.settings.return_origins.iter().any(|o| {
                let o = o.trim_end_matches('/');
                url == o
                    || url
                        .strip_prefix(o)
                        .is_some_and(|r| r.starts_with(['/', '?', '#']))
            });
        if !allowed {
            return Err(ValidationError::rule(
                field,
                "is not on this deployment's allowed return origins",
            ));
        }
        Ok(url.to_owned())
    }

    /// Parses the flow and checks its target is the account's own.
    async fn flow(&self, account: &AccountId, f: PortalFlowInput) -> BillingResult<PortalFlow> {
        let kind = required(f.kind.as_deref(), "flow.type")?;
        let stray = |field: &str| {
            ValidationError::new(
                format!("flow.{field}"),
                format!("is not used by the `{kind}` flow"),
            )
        };
        match kind {
            "buy_credits" | "subscription" => {
                if f.invoice_id.is_some() {
                    return Err(stray("invoice_id").into());
                }
                if f.payment_id.is_some() {
                    return Err(stray("payment_id").into());
                }
                Ok(if kind == "buy_credits" {
                    PortalFlow::BuyCredits
                } else {
                    PortalFlow::Subscription
                })
            }
            "pay_invoice" => {
                if f.payment_id.is_some() {
                    return Err(stray("payment_id").into());
                }
                let field = "flow.invoice_id";
                let id = InvoiceId::parse(required(f.invoice_id.as_deref(), field)?, field)?;
                match self.repos.invoices.get(&id).await? {
                    Some(i) if &i.account_id == account => {
                        Ok(PortalFlow::PayInvoice { invoice_id: id })
                    }
                    _ => Err(ValidationError::rule(
                        field,
                        format!("the account has no invoice {id}"),
                    )
                    .into()),
                }
            }
            "manual_payment" => {
                if f.invoice_id.is_some() {
                    return Err(stray("invoice_id").into());
                }
                let field = "flow.payment_id";
                let id = PaymentId::parse(required(f.payment_id.as_deref(), field)?, field)?;
                match self.repos.payments.get(&id).await? {
                    Some(p) if &p.account_id == account && p.method.is_manual() => {
                        Ok(PortalFlow::ManualPayment { payment_id: id })
                    }
                    Some(p) if &p.account_id == account => Err(ValidationError::rule(
                        field,
                        format!("payment {id} is a {} payment, not a manual one", p.method),
                    )
                    .into()),
                    _ => Err(ValidationError::rule(
                        field,
                        format!("the account has no payment {id}"),
                    )
                    .into()),
                }
            }
            other => Err(ValidationError::new(
                "flow.type",
                format!(
                    "`{other}` is not one of buy_credits, pay_invoice, manual_payment, subscription"
                ),
            )
            .into()),
        }
    }
}
