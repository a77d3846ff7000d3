//! Who is calling, and what they may see. Tenancy is enforced here, in the domain, so no
//! adapter can forget it.

use serde::Serialize;

use crate::entities::ApiKeyScope;
use crate::error::BillingError;
use crate::types::{AccountId, ApiKeyId, PortalSessionId};

/// The authenticated caller of a use case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Principal {
    /// The API key used, or `None` for the system itself (background jobs, CLI).
    pub key_id: Option<ApiKeyId>,
    /// What the key may do.
    pub scope: ApiKeyScope,
    /// For `account` keys, the one account they are bound to.
    pub account_id: Option<AccountId>,
    /// Set when the caller is an account owner in a billing-portal session: the account
    /// scope of [`Principal::account_id`], acted on through the portal's pages.
    pub portal_session: Option<PortalSessionId>,
}

impl Principal {
    /// The system acting on its own behalf (CLI, seed, sweeps): admin rights, no key.
    pub fn system() -> Self {
        Self {
            key_id: None,
            scope: ApiKeyScope::Admin,
            account_id: None,
            portal_session: None,
        }
    }

    /// An account owner in billing-portal session `session`: exactly the rights of an
    /// `account` key bound to `account`, so every tenancy rule applies unchanged.
    pub fn portal(account: AccountId, session: PortalSessionId) -> Self {
        Self {
            key_id: None,
            scope: ApiKeyScope::Account,
            account_id: Some(account),
            portal_session: Some(session),
        }
    }

    /// A label for audit logs and ledger actors: the key id, `portal:<session>` or `system`.
    pub fn actor(&self) -> String {
        match (&self.key_id, &self.portal_session) {
            (Some(k), _) => k.to_string(),
            (None, Some(s)) => format!("portal:{s}"),
            (None, None) => "system".to_owned(),
        }
    }

    /// Operators only.
    pub fn ensure_admin(&self) -> Result<(), BillingError> {
        if self.scope == ApiKeyScope::Admin {
            Ok(())
        } else {
            Err(BillingError::Forbidden(
                "this operation needs an admin key".into(),
            ))
        }
    }

    /// Operators or the platform's backend.
    pub fn ensure_service(&self) -> Result<(), BillingError> {
        match self.scope {
            ApiKeyScope::Admin | ApiKeyScope::Service => Ok(()),
            ApiKeyScope::Account => Err(BillingError::Forbidden(
                "this operation needs a service or admin key".into(),
            )),
        }
    }

    /// May this caller see `account`? An account key bound to another account gets a 404,
    /// exactly as if the account did not exist, so ids cannot be probed.
    pub fn ensure_account(&self, account: &AccountId) -> Result<(), BillingError> {
        match self.scope {
            ApiKeyScope::Admin | ApiKeyScope::Service => Ok(()),
            ApiKeyScope::Account if self.account_id.as_ref() == Some(account) => Ok(()),
            ApiKeyScope::Account => Err(BillingError::not_found("account", account)),
        }
    }
}
