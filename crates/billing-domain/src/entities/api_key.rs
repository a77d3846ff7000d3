//! API keys: shown once, stored only as a SHA-256 hash.
//!
//! Keys are 192 bits of randomness, so a fast hash is enough (no password-style KDF):
//! guessing a key is infeasible, and lookups by hash stay O(1) on every request.

use std::fmt;

use rand::Rng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::types::{AccountId, ApiKeyId, BoundedText};

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ApiKeyScope {
    /// Operators: everything.
    Admin,
    /// The platform's backend: acts for any account, no operator actions.
    Service,
    /// Bound to one account: sees and touches only that account.
    Account,
}

impl ApiKeyScope {
    /// The stable text form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Service => "service",
            Self::Account => "account",
        }
    }

    /// Parses the text form.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "admin" => Some(Self::Admin),
            "service" => Some(Self::Service),
            "account" => Some(Self::Account),
            _ => None,
        }
    }
}

impl fmt::Display for ApiKeyScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stored key. The secret itself is never stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiKey {
    /// `key_…`.
    pub id: ApiKeyId,
    /// What the key is for.
    pub name: BoundedText,
    /// Its scope.
    pub scope: ApiKeyScope,
    /// The account an `account` key is bound to.
    pub account_id: Option<AccountId>,
    /// The first characters of the secret, to recognise it (`bk_live_abc…`).
    pub prefix: String,
    /// Hex SHA-256 of the whole secret.
    #[serde(skip_serializing)]
    pub secret_hash: String,
    /// Creation time.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it was revoked; revoked keys authenticate nothing.
    #[serde(with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
}

/// A freshly generated secret: returned to the caller exactly once.
#[derive(Clone, PartialEq, Eq)]
pub struct NewApiKeySecret(pub String);

impl fmt::Debug for NewApiKeySecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewApiKeySecret(<redacted>)")
    }
}

const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

impl NewApiKeySecret {
    /// 32 base-62 characters (≈ 190 bits) after `bk_<scope>_`.
    pub fn generate(scope: ApiKeyScope) -> Self {
        let mut rng = rand::rng();
        let body: String = (0..32)
            .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
            .collect();
        Self(format!("bk_{}_{body}", scope.as_str()))
    }

    /// The hash stored in place of the secret.
    pub fn hash(&self) -> String {
        hash_secret(&self.0)
    }

    /// The displayable prefix.
    pub fn prefix(&self) -> String {
        self.0.chars().take(14).collect()
    }
}

/// Hex SHA-256 of a presented secret, for lookup.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_random_and_hash_stably() {
        let a = NewApiKeySecret::generate(ApiKeyScope::Admin);
        let b = NewApiKeySecret::generate(ApiKeyScope::Admin);
        assert_ne!(a, b);
        assert!(a.0.starts_with("bk_admin_"));
        assert_eq!(a.hash(), hash_secret(&a.0));
        assert_eq!(a.hash().len(), 64);
        assert!(!format!("{a:?}").contains(&a.0));
    }
}
