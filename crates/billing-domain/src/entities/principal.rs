//! Who is calling, and what they may see. Tenancy is enforced here, in the domain, so no
//! adapter can forget it.

use serde::Serialize;

use crate::entities::ApiKeyScope;
use crate::error::BillingError;
use crate::types::{AccountId, ApiKeyId};

/// The authenticated caller of a use case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Principal {
    /// The API key used, or `None` for the system itself (background jobs, CLI).
    pub key_id: Option<ApiKeyId>,
    /// What the key may do.
    pub scope: ApiKeyScope,
    /// For `account` keys, the one account they are bound to.
    pub account_id: Option<AccountId>,
}

impl Principal {
    /// The system acting on its own behalf (CLI, seed, sweeps): admin rights, no key.
    pub fn system() -> Self {
        Self {
            key_id: None,
            scope: ApiKeyScope::Admin,
            account_id: None,
        }
    }

    /// A label for audit logs and ledger actors: the key id or `system`.
    pub fn actor(&self) -> String {
        self.key_id
            .as_ref()
            .map_or_else(|| "system".to_owned(), |k| k.to_string())
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
