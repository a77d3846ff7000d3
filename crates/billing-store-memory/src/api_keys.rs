//! [`ApiKeyRepository`] in memory.

use time::OffsetDateTime;

use billing_domain::entities::{ApiKey, AuditEntry};
use billing_domain::error::RepoError;
use billing_domain::ports::ApiKeyRepository;
use billing_domain::types::{ApiKeyId, Page, PageRequest};

use super::Shared;
use super::state::{Order, account_exists, exists, paginate};

/// API keys, found by the hash of their secret (hashes are unique).
pub(crate) struct MemoryApiKeys(pub(crate) Shared);

#[async_trait::async_trait]
impl ApiKeyRepository for MemoryApiKeys {
    async fn insert(&self, key: &ApiKey, audit: Option<AuditEntry>) -> Result<(), RepoError> {
        self.0.with(|s| {
            if s.api_keys.contains_key(&key.id) {
                return Err(exists("API key", &key.id));
            }
            if let Some(account) = &key.account_id {
                account_exists(s, account)?;
            }
            if s.api_keys
                .values()
                .any(|k| k.secret_hash == key.secret_hash)
            {
                return Err(RepoError::Conflict(
                    "an API key with this secret hash exists".into(),
                ));
            }
            s.check_audit(audit.as_ref())?;
            s.api_keys.insert(key.id.clone(), key.clone());
            s.put_audit(audit.as_ref());
            Ok(())
        })
    }

    async fn find_by_hash(&self, secret_hash: &str) -> Result<Option<ApiKey>, RepoError> {
        Ok(self
            .0
            .lock()
            .api_keys
            .values()
            .find(|k| k.secret_hash == secret_hash)
            .cloned())
    }

    async fn get(&self, id: &ApiKeyId) -> Result<Option<ApiKey>, RepoError> {
        Ok(self.0.lock().api_keys.get(id).cloned())
    }

    async fn list(&self, page: &PageRequest) -> Result<Page<ApiKey>, RepoError> {
        Ok(paginate(
            self.0.lock().api_keys.values(),
            |k| k.id.as_str(),
            Order::NewestFirst,
            page,
        ))
    }

    async fn revoke(
        &self,
        id: &ApiKeyId,
        at: OffsetDateTime,
        audit: &AuditEntry,
    ) -> Result<ApiKey, RepoError> {
        self.0.with(|s| {
            if !s.api_keys.contains_key(id) {
                return Err(RepoError::NotFound);
            }
            s.check_audit(Some(audit))?;
            let key = s.api_keys.get_mut(id).ok_or(RepoError::NotFound)?;
            key.revoked_at.get_or_insert(at);
            let key = key.clone();
            s.put_audit(Some(audit));
            Ok(key)
        })
    }
}
