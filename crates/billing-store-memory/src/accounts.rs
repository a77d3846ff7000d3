//! [`AccountRepository`] in memory.

use billing_domain::entities::{Account, AuditEntry};
use billing_domain::error::RepoError;
use billing_domain::ports::AccountRepository;
use billing_domain::ports::accounts::EXTERNAL_ID_TAKEN;
use billing_domain::types::{AccountId, Page, PageRequest};

use super::Shared;
use super::state::{AccountLedger, Order, State, exists, paginate};

/// Accounts; inserting one also creates its zero balance row.
pub(crate) struct MemoryAccounts(pub(crate) Shared);

/// `Conflict` if another account than `id` already uses `account`'s external id.
fn check_external_id(state: &State, account: &Account) -> Result<(), RepoError> {
    let Some(ext) = &account.external_id else {
        return Ok(());
    };
    let taken = state.accounts.values().any(|a| {
        a.id != account.id
            && a.external_id
                .as_ref()
                .is_some_and(|e| e.as_str() == ext.as_str())
    });
    if taken {
        Err(RepoError::Conflict(EXTERNAL_ID_TAKEN.into()))
    } else {
        Ok(())
    }
}

#[async_trait::async_trait]
impl AccountRepository for MemoryAccounts {
    async fn insert(&self, account: &Account) -> Result<(), RepoError> {
        self.0.with(|s| {
            if s.accounts.contains_key(&account.id) {
                return Err(exists("account", &account.id));
            }
            check_external_id(s, account)?;
            s.accounts.insert(account.id.clone(), account.clone());
            s.ledgers
                .insert(account.id.clone(), AccountLedger::default());
            Ok(())
        })
    }

    async fn get(&self, id: &AccountId) -> Result<Option<Account>, RepoError> {
        Ok(self.0.lock().accounts.get(id).cloned())
    }

    async fn find_by_external_id(&self, external_id: &str) -> Result<Option<Account>, RepoError> {
        Ok(self
            .0
            .lock()
            .accounts
            .values()
            .find(|a| {
                a.external_id
                    .as_ref()
                    .is_some_and(|e| e.as_str() == external_id)
            })
            .cloned())
    }

    async fn list(&self, page: &PageRequest) -> Result<Page<Account>, RepoError> {
        Ok(paginate(
            self.0.lock().accounts.values(),
            |a| a.id.as_str(),
            Order::NewestFirst,
            page,
        ))
    }

    async fn update(&self, account: &Account, audit: Option<AuditEntry>) -> Result<(), RepoError> {
        self.0.with(|s| {
            if !s.accounts.contains_key(&account.id) {
                return Err(RepoError::NotFound);
            }
            check_external_id(s, account)?;
            s.check_audit(audit.as_ref())?;
            let stored = s.accounts.get_mut(&account.id).ok_or(RepoError::NotFound)?;
            stored.name = account.name.clone();
            stored.external_id = account.external_id.clone();
            stored.billing_profile = account.billing_profile.clone();
            stored.low_balance_threshold = account.low_balance_threshold;
            stored.stripe_customer_id = account.stripe_customer_id.clone();
            stored.metadata = account.metadata.clone();
            stored.updated_at = account.updated_at;
            s.put_audit(audit.as_ref());
            Ok(())
        })
    }
}
