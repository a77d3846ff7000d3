//! Credits: balances, usage debits, operator adjustments, grants, the ledger and its
//! verification. The one place the platform spends credits, so the hot path is lean: a debit
//! is one store call, which is one atomic statement or transaction.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::entities::audit::RequestContext;
use crate::entities::{CreditBalance, LedgerEntry, LedgerKind, Metadata};
use crate::error::{BillingError, BillingResult, RepoError, ValidationError};
use crate::ports::{
    Clock, DriftReport, LedgerFilter, Posting, PostingMode, PostingOutcome, Repositories,
};
use crate::services::input::required;
use crate::types::{AccountId, BoundedText, Credits, LedgerEntryId, Page, PageRequest};

/// A usage debit as sent.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DebitInput {
    /// Credits to spend (positive).
    pub credits: Option<i64>,
    /// What they are spent on, e.g. `image.generate` (≤ 100).
    pub operation: Option<String>,
    /// The caller's unique reference for this debit (≤ 200); a repeat is not charged again.
    pub reference: Option<String>,
    /// Free-form metadata.
    pub metadata: Option<BTreeMap<String, String>>,
}

/// An operator adjustment as sent.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AdjustmentInput {
    /// Signed credits: positive adds, negative removes (never below zero).
    pub credits: Option<i64>,
    /// Why (required, ≤ 500).
    pub reason: Option<String>,
    /// Optional unique reference; a repeat is not applied again.
    pub reference: Option<String>,
}

/// The result of a ledger verification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VerifyReport {
    /// True when no account drifts.
    pub ok: bool,
    /// How many accounts were checked.
    pub accounts_checked: u64,
    /// The accounts that drift.
    pub drift: Vec<DriftReport>,
}

/// Validates a caller reference: 1–200 printable ASCII characters.
pub fn parse_reference(v: Option<&str>, field: &str) -> Result<String, ValidationError> {
    let raw = required(v, field)?;
    let r = raw.trim();
    // Surrounding white space is dropped, but counts toward the 200 the document states.
    if r.is_empty() || raw.chars().count() > 200 || !r.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ValidationError::new(
            field,
            "must be 1-200 printable ASCII characters without spaces",
        ));
    }
    Ok(r.to_owned())
}

/// Credit use cases.
#[derive(Clone)]
pub struct CreditService {
    repos: Repositories,
    clock: Arc<dyn Clock>,
}

impl CreditService {
    /// Wires the service.
    pub fn new(repos: Repositories, clock: Arc<dyn Clock>) -> Self {
        Self { repos, clock }
    }

    fn account(ctx: &RequestContext, id: &str) -> BillingResult<AccountId> {
        account_in(ctx, id)
    }

    /// Balance, held and available credits.
    pub async fn balance(
        &self,
        ctx: &RequestContext,
        account_id: &str,
    ) -> BillingResult<CreditBalance> {
        let id = Self::account(ctx, account_id)?;
        self.repos
            .ledger
            .balance(&id, self.clock.now())
            .await
            .map_err(|e| not_found(e, &id))
    }

    /// Spends credits (service or admin keys). Idempotent by reference: a repeat returns the
    /// original entry; the same reference with another amount is a 409. Never below zero:
    /// a short balance is `InsufficientCredits` and nothing is written.
    pub async fn debit(
        &self,
        ctx: &RequestContext,
        account_id: &str,
        input: DebitInput,
    ) -> BillingResult<LedgerEntry> {
        ctx.principal.ensure_service()?;
        let id = Self::account(ctx, account_id)?;
        let credits = Credits::new(*required(input.credits.as_ref(), "credits")?, "credits")?;
        let operation = BoundedText::new(
            required(input.operation.as_deref(), "operation")?,
            "operation",
            100,
        )?;
        let reference = parse_reference(input.reference.as_deref(), "reference")?;
        let mut metadata = Metadata::parse(input.metadata, "metadata")?.0;
        metadata.insert("operation".into(), operation.as_str().to_owned());
        let now = self.clock.now();
        let posting = Posting {
            entry_id: LedgerEntryId::generate(now),
            account_id: id.clone(),
            kind: LedgerKind::UsageDebit,
            amount: -credits.get(),
            mode: PostingMode::Exact,
            source_ref: format!("debit:{reference}"),
            description: operation.into_inner(),
            metadata: serde_json::to_value(metadata).unwrap_or_default(),
            actor: ctx.principal.actor(),
            at: now,
            audit: None,
            lot: Default::default(),
        };
        self.apply(posting, credits.get()).await
    }

    /// An operator's signed adjustment with a required reason, audited in the same transaction.
    pub async fn adjust(
        &self,
        ctx: &RequestContext,
        account_id: &str,
        input: AdjustmentInput,
    ) -> BillingResult<LedgerEntry> {
        ctx.principal.ensure_admin()?;
        let id = Self::account(ctx, account_id)?;
        let amount = *required(input.credits.as_ref(), "credits")?;
        if amount == 0 || amount.unsigned_abs() > crate::types::credits::MAX_CREDITS.unsigned_abs()
        {
            return Err(ValidationError::new(
                "credits",
                "must be a non-zero whole number of at most 10^12 credits",
            )
            .into());
        }
        let reason = BoundedText::new(required(input.reason.as_deref(), "reason")?, "reason", 500)?;
        let now = self.clock.now();
        let entry_id = LedgerEntryId::generate(now);
        let reference = match input.reference.as_deref() {
            Some(r) => parse_reference(Some(r), "reference")?,
            None => entry_id.to_string(),
        };
        let audit = ctx.audit(
            now,
            "credits.adjust",
            "account",
            id.as_str(),
            Some(reason.as_str()),
            None::<&()>,
            Some(&serde_json::json!({ "credits": amount, "reference": reference })),
        );
        let posting = Posting {
            entry_id,
            account_id: id,
            kind: LedgerKind::AdminAdjustment,
            amount,
            mode: PostingMode::Exact,
            source_ref: format!("adjustment:{reference}"),
            description: reason.into_inner(),
            metadata: serde_json::json!({}),
            actor: ctx.principal.actor(),
            at: now,
            audit: Some(audit),
            lot: Default::default(),
        };
        self.apply(posting, amount.abs()).await
    }

    /// Grants credits for a paid purchase or subscription period, exactly once per `source_ref`.
    /// Used by the payment use cases; returns the entry (the original one on a repeat).
    pub async fn grant(
        &self,
        account: &AccountId,
        kind: LedgerKind,
        credits: Credits,
        source_ref: String,
        description: String,
        actor: String,
    ) -> BillingResult<LedgerEntry> {
        let now = self.clock.now();
        let posting = Posting {
            entry_id: LedgerEntryId::generate(now),
            account_id: account.clone(),
            kind,
            amount: credits.get(),
            mode: PostingMode::Exact,
            source_ref,
            description,
            metadata: serde_json::json!({}),
            actor,
            at: now,
            audit: None,
            lot: Default::default(),
        };
        match self
            .repos
            .ledger
            .post(&posting)
            .await
            .map_err(|e| not_found(e, account))?
        {
            PostingOutcome::Applied { entry, .. } | PostingOutcome::Duplicate(entry) => Ok(entry),
            PostingOutcome::Insufficient(_) => Err(BillingError::Internal(
                "a grant cannot be short of credits".into(),
            )),
        }
    }

    async fn apply(&self, posting: Posting, requested: i64) -> BillingResult<LedgerEntry> {
        let account = posting.account_id.clone();
        match self
            .repos
            .ledger
            .post(&posting)
            .await
            .map_err(|e| not_found(e, &account))?
        {
            PostingOutcome::Applied { entry, .. } => Ok(entry),
            PostingOutcome::Duplicate(entry)
                if entry.amount == posting.amount && entry.kind == posting.kind =>
            {
                Ok(entry)
            }
            PostingOutcome::Duplicate(entry) => Err(BillingError::conflict_on(
                "reference",
                "reference_reused",
                format!(
                    "reference was already used for {} of {} credits ({})",
                    entry.kind, entry.amount, entry.id
                ),
            )),
            PostingOutcome::Insufficient(b) => Err(BillingError::InsufficientCredits {
                balance: b.balance,
                available: b.available,
                requested,
                shortfall: requested.saturating_sub(b.available),
            }),
        }
    }

    /// Ledger entries newest first, filtered by kinds and a time range.
    pub async fn ledger(
        &self,
        ctx: &RequestContext,
        account_id: &str,
        kinds: Option<&str>,
        from: Option<OffsetDateTime>,
        to: Option<OffsetDateTime>,
        page: &PageRequest,
    ) -> BillingResult<Page<LedgerEntry>> {
        let id = Self::account(ctx, account_id)?;
        let kinds = kinds
            .filter(|k| !k.is_empty())
            .map(|k| {
                k.split(',')
                    .map(|s| {
                        LedgerKind::parse(s.trim()).ok_or_else(|| {
                            ValidationError::new("kind", format!("unknown ledger kind `{s}`"))
                        })
                    })
                    .collect()
            })
            .transpose()?
            .unwrap_or_default();
        if self.repos.accounts.get(&id).await?.is_none() {
            return Err(BillingError::not_found("account", &id));
        }
        Ok(self
            .repos
            .ledger
            .list_entries(&id, &LedgerFilter { kinds, from, to }, page)
            .await?)
    }

    /// Checks `balance == Σ entries` and `held == Σ active holds` for every account (admin).
    pub async fn verify(&self, ctx: &RequestContext) -> BillingResult<VerifyReport> {
        ctx.principal.ensure_admin()?;
        let (drift, accounts_checked) = self.repos.ledger.verify().await?;
        Ok(VerifyReport {
            ok: drift.is_empty(),
            accounts_checked,
            drift,
        })
    }

    /// Expires due holds (background sweep); returns how many.
    pub async fn expire_due(&self, limit: u32) -> BillingResult<u64> {
        Ok(self
            .repos
            .ledger
            .expire_due(self.clock.now(), limit)
            .await?)
    }
}

/// The account `id` names (field `id`), if the caller may see it.
pub(crate) fn account_in(ctx: &RequestContext, id: &str) -> BillingResult<AccountId> {
    let id = AccountId::parse(id, "id")?;
    ctx.principal.ensure_account(&id)?;
    Ok(id)
}

/// Maps a store `NotFound` to a 404 naming the account.
pub(crate) fn not_found(e: RepoError, id: &AccountId) -> BillingError {
    match e {
        RepoError::NotFound => BillingError::not_found("account", id),
        other => other.into(),
    }
}
