//! Invoices: manual invoices by operators, finalization with gapless numbers, void,
//! uncollectible, and listings. A finalized invoice's lines and amounts never change.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::entities::audit::RequestContext;
use crate::entities::{Invoice, InvoiceLine, InvoiceLineKind, InvoiceStatus, Metadata};
use crate::error::{BillingError, BillingResult, ValidationError};
use crate::ports::InvoiceFilter;
use crate::services::input::required;
use crate::services::payment_context::PaymentDeps;
use crate::types::money::MAX_AMOUNT_MINOR;
use crate::types::{AccountId, BoundedText, Currency, InvoiceId, InvoiceLineId, Page, PageRequest};

/// One line of a manual invoice as sent.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct InvoiceLineInput {
    /// Text on the invoice (≤ 500).
    pub description: Option<String>,
    /// Positive quantity (default 1).
    pub quantity: Option<i64>,
    /// Unit price, minor units, ≥ 0.
    pub unit_amount: Option<i64>,
    /// Discount on the line, minor units (default 0, ≤ quantity × unit_amount).
    pub discount_amount: Option<i64>,
    /// `manual` (default) or `adjustment`.
    pub kind: Option<InvoiceLineKind>,
    /// Credits granted when the invoice is paid.
    pub credits: Option<i64>,
}

/// A manual invoice as sent.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ManualInvoiceInput {
    /// The billed account.
    pub account_id: Option<String>,
    /// ISO 4217 currency of every amount.
    pub currency: Option<String>,
    /// 1–100 lines.
    pub lines: Option<Vec<InvoiceLineInput>>,
    /// Finalize at once (assign the number) instead of leaving a draft.
    pub finalize: Option<bool>,
    /// Free-form metadata.
    pub metadata: Option<BTreeMap<String, String>>,
}

/// A reason as sent (void, reject): required.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReasonInput {
    /// Why (≤ 500).
    pub reason: Option<String>,
}

/// A reason that may be left out (mark uncollectible): blank means none.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OptionalReasonInput {
    /// Why (≤ 500), if said.
    pub reason: Option<String>,
}

fn parse_line(
    l: &InvoiceLineInput,
    i: usize,
    at: OffsetDateTime,
) -> Result<InvoiceLine, ValidationError> {
    let f = |s: &str| format!("lines[{i}].{s}");
    let quantity = l.quantity.unwrap_or(1);
    if !(1..=1_000_000).contains(&quantity) {
        return Err(ValidationError::new(
            f("quantity"),
            "must be between 1 and 1000000",
        ));
    }
    let unit = *required(l.unit_amount.as_ref(), &f("unit_amount"))?;
    if !(0..=MAX_AMOUNT_MINOR).contains(&unit) {
        return Err(ValidationError::new(
            f("unit_amount"),
            "must be between 0 and 10^15 minor units",
        ));
    }
    let gross = quantity
        .checked_mul(unit)
        .filter(|g| *g <= MAX_AMOUNT_MINOR)
        .ok_or_else(|| {
            ValidationError::rule(f("quantity"), "quantity × unit_amount is too large")
        })?;
    let discount = l.discount_amount.unwrap_or(0);
    if !(0..=gross).contains(&discount) {
        return Err(ValidationError::rule(
            f("discount_amount"),
            "must be between 0 and quantity × unit_amount",
        ));
    }
    let kind = l.kind.unwrap_or(InvoiceLineKind::Manual);
    if !matches!(kind, InvoiceLineKind::Manual | InvoiceLineKind::Adjustment) {
        return Err(ValidationError::new(
            f("kind"),
            "manual invoices have manual or adjustment lines",
        ));
    }
    let credits = match l.credits {
        None => None,
        Some(c) => Some(crate::types::Credits::new(c, &f("credits"))?.get()),
    };
    Ok(InvoiceLine {
        id: InvoiceLineId::generate(at),
        kind,
        description: BoundedText::new(
            required(l.description.as_deref(), &f("description"))?,
            &f("description"),
            500,
        )?
        .into_inner(),
        quantity,
        unit_amount: unit,
        discount_amount: discount,
        amount: gross - discount,
        credit_package_id: None,
        credits,
        subscription_id: None,
        period_start: None,
        period_end: None,
        rollover: None,
    })
}

/// Invoice use cases.
#[derive(Clone)]
pub struct InvoiceService {
    deps: PaymentDeps,
}

impl InvoiceService {
    /// Wires the service.
    pub fn new(deps: PaymentDeps) -> Self {
        Self { deps }
    }

    /// Creates a manual invoice for any account (admin), as a draft or finalized.
    pub async fn create_manual(
        &self,
        ctx: &RequestContext,
        input: ManualInvoiceInput,
    ) -> BillingResult<Invoice> {
        ctx.principal.ensure_admin()?;
        let now = self.deps.clock.now();
        let account_id = AccountId::parse(
            required(input.account_id.as_deref(), "account_id")?,
            "account_id",
        )?;
        let currency = Currency::parse(required(input.currency.as_deref(), "currency")?)?;
        let raw = required(input.lines.as_ref(), "lines")?;
        if raw.is_empty() || raw.len() > 100 {
            return Err(ValidationError::new("lines", "must have 1 to 100 lines").into());
        }
        let lines = raw
            .iter()
            .enumerate()
            .map(|(i, l)| parse_line(l, i, now))
            .collect::<Result<Vec<_>, _>>()?;
        let metadata = Metadata::parse(input.metadata, "metadata")?;
        let account = self
            .deps
            .repos
            .accounts
            .get(&account_id)
            .await?
            .ok_or_else(|| {
                ValidationError::rule("account_id", format!("no account {account_id}"))
            })?;
        let (subtotal, discount, total, due) = Invoice::totals(&lines, 0)
            .ok_or_else(|| ValidationError::new("lines", "the total is too large"))?;
        let finalize = input.finalize.unwrap_or(false);
        let invoice = Invoice {
            id: InvoiceId::generate(now),
            account_id: account.id.clone(),
            number: None,
            billing_reason: crate::entities::InvoiceReason::Manual,
            status: if finalize {
                InvoiceStatus::Pending
            } else {
                InvoiceStatus::Draft
            },
            currency,
            lines,
            subtotal,
            discount,
            total,
            amount_paid: 0,
            amount_due: due,
            due_at: finalize
                .then(|| now + time::Duration::days(self.deps.settings.invoice_due_days)),
            billing_snapshot: if finalize {
                account.billing_profile.clone()
            } else {
                None
            },
            status_reason: None,
            metadata,
            created_at: now,
            finalized_at: finalize.then_some(now),
            paid_at: None,
            updated_at: now,
        };
        let audit = ctx.audit(
            now,
            "invoice.create",
            "invoice",
            invoice.id.as_str(),
            None,
            None::<&()>,
            Some(&invoice),
        );
        let prefix = finalize.then(|| self.deps.settings.invoice_prefix.clone());
        // The "invoice issued" e-mail of a finalized invoice with something to pay.
        let event = (finalize && invoice.amount_due > 0)
            .then(|| crate::services::payment_events::invoice_finalized(&invoice, now));
        Ok(self
            .deps
            .flow
            .create_invoice(&invoice, prefix, None, Some(audit), event)
            .await?)
    }

    async fn read(&self, id: &str) -> BillingResult<Invoice> {
        let id = InvoiceId::parse(id, "id")?;
        self.deps
            .repos
            .invoices
            .get(&id)
            .await?
            .ok_or_else(|| BillingError::not_found("invoice", &id))
    }

    /// Draft → pending: assigns the next gapless number and snapshots the billing profile (admin).
    pub async fn finalize(&self, ctx: &RequestContext, id: &str) -> BillingResult<Invoice> {
        ctx.principal.ensure_admin()?;
        let before = self.read(id).await?;
        let now = self.deps.clock.now();
        let mut inv = before.clone();
        inv.status = before.status.transition(InvoiceStatus::Pending)?;
        let account = self.deps.repos.accounts.get(&inv.account_id).await?;
        inv.billing_snapshot = account.and_then(|a| a.billing_profile);
        inv.finalized_at = Some(now);
        inv.due_at = Some(now + time::Duration::days(self.deps.settings.invoice_due_days));
        inv.updated_at = now;
        let audit = ctx.audit(
            now,
            "invoice.finalize",
            "invoice",
            inv.id.as_str(),
            None,
            Some(&before),
            Some(&inv),
        );
        let event = (inv.amount_due > 0)
            .then(|| crate::services::payment_events::invoice_finalized(&inv, now));
        match self
            .deps
            .flow
            .finalize_invoice(
                &inv,
                self.deps.settings.invoice_prefix.clone(),
                Some(audit),
                event,
            )
            .await?
        {
            Some(done) => Ok(done),
            None => Err(BillingError::InvalidTransition {
                entity: "invoice",
                from: "finalized".into(),
                to: "pending".into(),
            }),
        }
    }

    /// Voids an invoice (admin, reason required). A paid invoice cannot be voided.
    pub async fn void(
        &self,
        ctx: &RequestContext,
        id: &str,
        input: ReasonInput,
    ) -> BillingResult<Invoice> {
        ctx.principal.ensure_admin()?;
        let reason = BoundedText::new(required(input.reason.as_deref(), "reason")?, "reason", 500)?;
        self.set_status(
            ctx,
            id,
            InvoiceStatus::Void,
            Some(reason.into_inner()),
            "invoice.void",
        )
        .await
    }

    /// Writes an invoice off (admin); it can still be paid or voided later.
    pub async fn mark_uncollectible(
        &self,
        ctx: &RequestContext,
        id: &str,
        input: OptionalReasonInput,
    ) -> BillingResult<Invoice> {
        ctx.principal.ensure_admin()?;
        let reason = BoundedText::optional(input.reason.as_deref(), "reason", 500)?
            .map(BoundedText::into_inner);
        self.set_status(
            ctx,
            id,
            InvoiceStatus::Uncollectible,
            reason,
            "invoice.mark_uncollectible",
        )
        .await
    }

    async fn set_status(
        &self,
        ctx: &RequestContext,
        id: &str,
        to: InvoiceStatus,
        reason: Option<String>,
        action: &str,
    ) -> BillingResult<Invoice> {
        ctx.principal.ensure_admin()?;
        let before = self.read(id).await?;
        if before.status == to {
            return Ok(before);
        }
        let mut inv = before.clone();
        inv.status = before.status.transition(to)?;
        inv.status_reason.clone_from(&reason);
        inv.updated_at = self.deps.clock.now();
        let audit = ctx.audit(
            inv.updated_at,
            action,
            "invoice",
            inv.id.as_str(),
            reason.as_deref(),
            Some(&before),
            Some(&inv),
        );
        if self
            .deps
            .flow
            .update_invoice_status(&inv, before.status, Some(audit))
            .await?
        {
            Ok(inv)
        } else {
            Err(BillingError::conflict(
                "concurrent_update",
                format!("invoice {} changed concurrently; retry", inv.id),
            ))
        }
    }

    /// One invoice of `account_id` (tenancy enforced), or any invoice for admins when
    /// `account_id` is `None`.
    pub async fn get(
        &self,
        ctx: &RequestContext,
        account_id: Option<&str>,
        id: &str,
    ) -> BillingResult<Invoice> {
        // The caller's right to look comes first: whether an id exists is not told to
        // someone who may not see it.
        let account = match account_id {
            Some(a) => {
                let a = AccountId::parse(a, "account_id")?;
                ctx.principal.ensure_account(&a)?;
                Some(a)
            }
            None => {
                ctx.principal.ensure_admin()?;
                None
            }
        };
        let inv = self.read(id).await?;
        if account.is_some_and(|a| inv.account_id != a) {
            return Err(BillingError::not_found("invoice", &inv.id));
        }
        Ok(inv)
    }

    /// Invoices newest first: of one account (tenancy enforced), or of all for admins.
    pub async fn list(
        &self,
        ctx: &RequestContext,
        account_id: Option<&str>,
        mut filter: InvoiceFilter,
        page: &PageRequest,
    ) -> BillingResult<Page<Invoice>> {
        match account_id {
            Some(a) => {
                let a = AccountId::parse(a, "account_id")?;
                ctx.principal.ensure_account(&a)?;
                filter.account_id = Some(a);
            }
            None => ctx.principal.ensure_admin()?,
        }
        Ok(self.deps.repos.invoices.list(&filter, page).await?)
    }
}
