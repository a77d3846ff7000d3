//! Domain ⇄ row conversions for accounts, catalogs, keys, idempotency, audit and outbox.
//! Values read back were validated when written, so a parse failure is reported as a corrupt
//! row (`RepoError::Other`), never silently replaced.

use billing_domain::entities::{
    Account, ApiKey, ApiKeyScope, AuditEntry, CreditPackage, IdempotencyRecord, Metadata,
    OutboxEvent, PaymentMethodConfig, PaymentMethodKind,
};
use billing_domain::types::{
    AccountId, ApiKeyId, AuditEntryId, BoundedText, CountryCode, CreditPackageId, Credits,
    Currency, EventId, Money, PaymentMethodConfigId, Slug,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{DbResult, corrupt, encode_error};
use crate::rows::{
    AccountRow, ApiKeyRow, AuditRow, ConfigRow, IdempotencyRow, OutboxRow, PackageRow,
};
use crate::sql_types::UtcDateTime;

/// Stored text back into a [`BoundedText`] (already validated when written).
pub(crate) fn text(value: &str, what: &str) -> DbResult<BoundedText> {
    BoundedText::new(value, what, usize::MAX).map_err(|e| corrupt(what, e))
}

/// Optional stored text back into a [`BoundedText`].
pub(crate) fn opt_text(value: Option<&str>, what: &str) -> DbResult<Option<BoundedText>> {
    value.map(|v| text(v, what)).transpose()
}

/// Parses stored JSON.
pub(crate) fn from_json<T: DeserializeOwned>(value: &str, what: &str) -> DbResult<T> {
    serde_json::from_str(value).map_err(|e| corrupt(what, e))
}

/// Parses optional stored JSON.
pub(crate) fn from_opt_json<T: DeserializeOwned>(
    value: Option<&str>,
    what: &str,
) -> DbResult<Option<T>> {
    value.map(|v| from_json(v, what)).transpose()
}

/// Encodes a value as JSON text.
pub(crate) fn to_json<T: Serialize + ?Sized>(value: &T, what: &str) -> DbResult<String> {
    serde_json::to_string(value).map_err(|e| encode_error(what, e))
}

/// Encodes an optional value as JSON text.
pub(crate) fn to_opt_json<T: Serialize>(value: Option<&T>, what: &str) -> DbResult<Option<String>> {
    value.map(|v| to_json(v, what)).transpose()
}

/// Parses a stored price list (JSON array of `{"amount", "currency"}`), checking it again.
pub(crate) fn price_list(json: &str) -> DbResult<billing_domain::types::PriceList> {
    let prices: Vec<Money> = from_json(json, "prices")?;
    billing_domain::types::PriceList::new(prices)
        .ok_or_else(|| corrupt("prices", "empty, negative or a currency twice"))
}

/// Parses a stored currency code.
pub(crate) fn currency(code: &str) -> DbResult<Currency> {
    Currency::parse(code).map_err(|e| corrupt("currency", e))
}

/// Parses a stored text enum with its `parse` function.
pub(crate) fn parse_enum<T>(value: &str, what: &str, parse: fn(&str) -> Option<T>) -> DbResult<T> {
    parse(value).ok_or_else(|| corrupt(what, format!("unknown value `{value}`")))
}

/// A timestamp for binding.
pub(crate) fn ts(t: time::OffsetDateTime) -> UtcDateTime {
    UtcDateTime(t)
}

pub(crate) fn account_row(a: &Account) -> DbResult<AccountRow> {
    Ok(AccountRow {
        id: a.id.to_string(),
        name: a.name.to_string(),
        external_id: a.external_id.as_ref().map(ToString::to_string),
        billing_profile: to_opt_json(a.billing_profile.as_ref(), "billing profile")?,
        low_balance_threshold: a.low_balance_threshold,
        stripe_customer_id: a.stripe_customer_id.clone(),
        metadata: to_json(&a.metadata, "metadata")?,
        created_at: ts(a.created_at),
        updated_at: ts(a.updated_at),
    })
}

pub(crate) fn account(r: AccountRow) -> DbResult<Account> {
    Ok(Account {
        id: AccountId::from_trusted(r.id),
        name: text(&r.name, "account name")?,
        external_id: opt_text(r.external_id.as_deref(), "external id")?,
        billing_profile: from_opt_json(r.billing_profile.as_deref(), "billing profile")?,
        low_balance_threshold: r.low_balance_threshold,
        stripe_customer_id: r.stripe_customer_id,
        metadata: from_json::<Metadata>(&r.metadata, "metadata")?,
        created_at: r.created_at.0,
        updated_at: r.updated_at.0,
    })
}

/// Discounts are stored in basis points (hundredths of a percent); the domain allows at most
/// two decimals, so the conversion is exact.
fn discount_bps(d: rust_decimal::Decimal) -> DbResult<i32> {
    let bps = d
        .checked_mul(rust_decimal::Decimal::ONE_HUNDRED)
        .filter(|b| b.fract().is_zero());
    bps.and_then(|b| i32::try_from(b.mantissa() / 10_i128.pow(b.scale())).ok())
        .ok_or_else(|| encode_error("discount", format!("{d} has more than two decimals")))
}

pub(crate) fn package_row(p: &CreditPackage) -> DbResult<PackageRow> {
    Ok(PackageRow {
        id: p.id.to_string(),
        name: p.name.to_string(),
        slug: p.slug.to_string(),
        description: p.description.as_ref().map(ToString::to_string),
        credits: p.credits.get(),
        prices: to_json(&p.prices, "prices")?,
        discount_bps: discount_bps(p.discount_percent)?,
        featured: p.featured,
        active: p.active,
        sort_order: p.sort_order,
        stripe_price_id: p.stripe_price_id.clone(),
        paypal_product_id: p.paypal_product_id.clone(),
        created_at: ts(p.created_at),
        updated_at: ts(p.updated_at),
    })
}

pub(crate) fn package(r: PackageRow) -> DbResult<CreditPackage> {
    Ok(CreditPackage {
        id: CreditPackageId::from_trusted(r.id),
        name: text(&r.name, "package name")?,
        slug: Slug::new(&r.slug, "slug").map_err(|e| corrupt("slug", e))?,
        description: opt_text(r.description.as_deref(), "package description")?,
        credits: Credits::new(r.credits, "credits").map_err(|e| corrupt("credits", e))?,
        prices: price_list(&r.prices)?,
        discount_percent: rust_decimal::Decimal::new(i64::from(r.discount_bps), 2).normalize(),
        featured: r.featured,
        active: r.active,
        sort_order: r.sort_order,
        stripe_price_id: r.stripe_price_id,
        paypal_product_id: r.paypal_product_id,
        created_at: r.created_at.0,
        updated_at: r.updated_at.0,
    })
}

pub(crate) fn config_row(c: &PaymentMethodConfig) -> DbResult<ConfigRow> {
    Ok(ConfigRow {
        id: c.id.to_string(),
        country: c.country.map(|k| k.as_str().to_owned()),
        method: c.method.as_str().to_owned(),
        display_name: c.display_name.to_string(),
        enabled: c.enabled,
        sort_order: c.sort_order,
        instructions: c.instructions.as_ref().map(ToString::to_string),
        bank_details: to_opt_json(c.bank_details.as_ref(), "bank details")?,
        wallet_details: to_opt_json(c.wallet_details.as_ref(), "wallet details")?,
        currencies: to_json(&c.currencies, "currencies")?,
        amount_limits: to_json(&c.amount_limits, "amount limits")?,
        created_at: ts(c.created_at),
        updated_at: ts(c.updated_at),
    })
}

pub(crate) fn config(r: ConfigRow) -> DbResult<PaymentMethodConfig> {
    Ok(PaymentMethodConfig {
        id: PaymentMethodConfigId::from_trusted(r.id),
        country: r
            .country
            .as_deref()
            .map(CountryCode::parse)
            .transpose()
            .map_err(|e| corrupt("country", e))?,
        method: parse_enum(&r.method, "payment method", PaymentMethodKind::parse)?,
        display_name: text(&r.display_name, "display name")?,
        enabled: r.enabled,
        sort_order: r.sort_order,
        instructions: opt_text(r.instructions.as_deref(), "instructions")?,
        bank_details: from_opt_json(r.bank_details.as_deref(), "bank details")?,
        wallet_details: from_opt_json(r.wallet_details.as_deref(), "wallet details")?,
        currencies: from_json(&r.currencies, "currencies")?,
        amount_limits: from_json(&r.amount_limits, "amount limits")?,
        created_at: r.created_at.0,
        updated_at: r.updated_at.0,
    })
}

pub(crate) fn api_key_row(k: &ApiKey) -> ApiKeyRow {
    ApiKeyRow {
        id: k.id.to_string(),
        name: k.name.to_string(),
        scope: k.scope.as_str().to_owned(),
        account_id: k.account_id.as_ref().map(ToString::to_string),
        prefix: k.prefix.clone(),
        secret_hash: k.secret_hash.clone(),
        created_at: ts(k.created_at),
        revoked_at: k.revoked_at.map(ts),
    }
}

pub(crate) fn api_key(r: ApiKeyRow) -> DbResult<ApiKey> {
    Ok(ApiKey {
        id: ApiKeyId::from_trusted(r.id),
        name: text(&r.name, "key name")?,
        scope: parse_enum(&r.scope, "key scope", ApiKeyScope::parse)?,
        account_id: r.account_id.map(AccountId::from_trusted),
        prefix: r.prefix,
        secret_hash: r.secret_hash,
        created_at: r.created_at.0,
        revoked_at: r.revoked_at.map(|t| t.0),
    })
}

pub(crate) fn idempotency_row(r: &IdempotencyRecord) -> IdempotencyRow {
    IdempotencyRow {
        principal: r.principal.clone(),
        idempotency_key: r.key.clone(),
        request_hash: r.request_hash.clone(),
        response_status: r.response_status.map(i32::from),
        response_body: r.response_body.clone(),
        created_at: ts(r.created_at),
    }
}

pub(crate) fn idempotency(r: IdempotencyRow) -> DbResult<IdempotencyRecord> {
    let status = r
        .response_status
        .map(u16::try_from)
        .transpose()
        .map_err(|e| corrupt("response status", e))?;
    Ok(IdempotencyRecord {
        principal: r.principal,
        key: r.idempotency_key,
        request_hash: r.request_hash,
        response_status: status,
        response_body: r.response_body,
        created_at: r.created_at.0,
    })
}

pub(crate) fn audit_row(a: &AuditEntry) -> DbResult<AuditRow> {
    Ok(AuditRow {
        id: a.id.to_string(),
        actor: a.actor.clone(),
        action: a.action.clone(),
        target_type: a.target_type.clone(),
        target_id: a.target_id.clone(),
        reason: a.reason.clone(),
        before_state: to_opt_json(a.before.as_ref(), "audit before")?,
        after_state: to_opt_json(a.after.as_ref(), "audit after")?,
        request_id: a.request_id.clone(),
        created_at: ts(a.created_at),
    })
}

pub(crate) fn audit(r: AuditRow) -> DbResult<AuditEntry> {
    Ok(AuditEntry {
        id: AuditEntryId::from_trusted(r.id),
        actor: r.actor,
        action: r.action,
        target_type: r.target_type,
        target_id: r.target_id,
        reason: r.reason,
        before: from_opt_json(r.before_state.as_deref(), "audit before")?,
        after: from_opt_json(r.after_state.as_deref(), "audit after")?,
        request_id: r.request_id,
        created_at: r.created_at.0,
    })
}

pub(crate) fn outbox_row(e: &OutboxEvent) -> DbResult<OutboxRow> {
    Ok(OutboxRow {
        id: e.id.to_string(),
        kind: e.kind.clone(),
        account_id: e.account_id.as_ref().map(ToString::to_string),
        payload: to_json(&e.payload, "event payload")?,
        created_at: ts(e.created_at),
        delivered_at: e.delivered_at.map(ts),
    })
}

pub(crate) fn outbox(r: OutboxRow) -> DbResult<OutboxEvent> {
    Ok(OutboxEvent {
        id: EventId::from_trusted(r.id),
        kind: r.kind,
        account_id: r.account_id.map(AccountId::from_trusted),
        payload: from_json(&r.payload, "event payload")?,
        created_at: r.created_at.0,
        delivered_at: r.delivered_at.map(|t| t.0),
    })
}
