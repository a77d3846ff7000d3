//! Row structs, one per table, in `table!` column order (Diesel's `Queryable` is positional).
//! Conversions to and from the domain live in `convert`.

use diesel::prelude::*;

use crate::schema::*;
use crate::sql_types::UtcDateTime;

/// `accounts`.
#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = accounts)]
pub(crate) struct AccountRow {
    pub id: String,
    pub name: String,
    pub external_id: Option<String>,
    pub billing_profile: Option<String>,
    pub low_balance_threshold: Option<i64>,
    pub stripe_customer_id: Option<String>,
    pub metadata: String,
    pub created_at: UtcDateTime,
    pub updated_at: UtcDateTime,
}

/// `credit_balances`.
#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = credit_balances)]
pub(crate) struct BalanceRow {
    pub account_id: String,
    pub balance: i64,
    pub held: i64,
    pub low_balance_threshold: Option<i64>,
    pub updated_at: UtcDateTime,
    /// The lot the next debit takes from (first in spend order with free credits), if known.
    pub head_lot: Option<String>,
    /// Free credits left in `head_lot` for debits that take only from it.
    pub head_avail: i64,
    /// Credits such debits took from `head_lot` and not yet written into its row.
    pub head_spent: i64,
    /// The soonest expiry among the account's unexpired lots.
    pub lots_next_expiry: Option<UtcDateTime>,
}

/// `ledger_entries`; also read by name from the PostgreSQL posting statement.
#[derive(Debug, Clone, Queryable, QueryableByName, Insertable)]
#[diesel(table_name = ledger_entries)]
pub(crate) struct EntryRow {
    pub id: String,
    pub account_id: String,
    pub kind: String,
    pub amount: i64,
    pub held_delta: i64,
    pub balance_after: i64,
    pub held_after: i64,
    pub source_ref: String,
    pub reservation_id: Option<String>,
    pub description: String,
    pub metadata: String,
    pub actor: String,
    pub created_at: UtcDateTime,
    /// The one lot a debit took from whole, when its allocation is this column instead of a
    /// `lot_allocations` row (the hot path's debits).
    pub lot_id: Option<String>,
}

/// `reservations`.
#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = reservations)]
pub(crate) struct ReservationRow {
    pub id: String,
    pub account_id: String,
    pub amount: i64,
    pub committed_amount: i64,
    pub status: String,
    pub reference: String,
    pub metadata: String,
    pub expires_at: UtcDateTime,
    pub created_at: UtcDateTime,
    pub updated_at: UtcDateTime,
}

/// `credit_packages`.
#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = credit_packages)]
pub(crate) struct PackageRow {
    pub id: String,
    pub name: String,
    pub slug: String,
    pub description: Option<String>,
    pub credits: i64,
    /// JSON array of `{"amount", "currency"}`.
    pub prices: String,
    pub discount_bps: i32,
    pub featured: bool,
    pub active: bool,
    pub sort_order: i32,
    pub stripe_price_id: Option<String>,
    pub paypal_product_id: Option<String>,
    pub created_at: UtcDateTime,
    pub updated_at: UtcDateTime,
}

/// `plans`.
#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = plans)]
pub(crate) struct PlanRow {
    pub id: String,
    pub name: String,
    pub slug: String,
    pub description: Option<String>,
    /// JSON array of `{"amount", "currency"}`.
    pub prices: String,
    pub interval_unit: String,
    pub interval_count: i32,
    pub credits_per_period: i64,
    /// JSON array of feature keys.
    pub features: String,
    pub trial_days: i32,
    /// JSON array of days.
    pub retry_days: String,
    pub final_action: String,
    pub active: bool,
    pub featured: bool,
    pub sort_order: i32,
    pub stripe_product_id: Option<String>,
    pub paypal_product_id: Option<String>,
    pub created_at: UtcDateTime,
    pub updated_at: UtcDateTime,
    /// The rollover cap; `None`: the allowance expires at period end.
    pub rollover_max: Option<i64>,
}

/// `payment_method_configs`.
#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = payment_method_configs)]
pub(crate) struct ConfigRow {
    pub id: String,
    pub country: Option<String>,
    pub method: String,
    pub display_name: String,
    pub enabled: bool,
    pub sort_order: i32,
    pub instructions: Option<String>,
    pub bank_details: Option<String>,
    pub wallet_details: Option<String>,
    pub currencies: String,
    pub amount_limits: String,
    pub created_at: UtcDateTime,
    pub updated_at: UtcDateTime,
}

/// `api_keys`.
#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = api_keys)]
pub(crate) struct ApiKeyRow {
    pub id: String,
    pub name: String,
    pub scope: String,
    pub account_id: Option<String>,
    pub prefix: String,
    pub secret_hash: String,
    pub created_at: UtcDateTime,
    pub revoked_at: Option<UtcDateTime>,
}

/// `idempotency_keys`.
#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = idempotency_keys)]
pub(crate) struct IdempotencyRow {
    pub principal: String,
    pub idempotency_key: String,
    pub request_hash: String,
    pub response_status: Option<i32>,
    pub response_body: Option<Vec<u8>>,
    pub created_at: UtcDateTime,
}

/// `invoices`.
#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = invoices)]
pub(crate) struct InvoiceRow {
    pub id: String,
    pub account_id: String,
    pub number: Option<String>,
    pub status: String,
    pub billing_reason: String,
    pub currency: String,
    pub subtotal: i64,
    pub discount: i64,
    pub total: i64,
    pub amount_paid: i64,
    pub amount_due: i64,
    pub due_at: Option<UtcDateTime>,
    pub billing_snapshot: Option<String>,
    pub status_reason: Option<String>,
    pub metadata: String,
    pub created_at: UtcDateTime,
    pub finalized_at: Option<UtcDateTime>,
    pub paid_at: Option<UtcDateTime>,
    pub updated_at: UtcDateTime,
}

/// `invoice_lines`.
#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = invoice_lines)]
pub(crate) struct InvoiceLineRow {
    pub id: String,
    pub invoice_id: String,
    pub position: i32,
    pub kind: String,
    pub description: String,
    pub quantity: i64,
    pub unit_amount: i64,
    pub discount_amount: i64,
    pub amount: i64,
    pub credit_package_id: Option<String>,
    pub credits: Option<i64>,
    pub subscription_id: Option<String>,
    pub period_start: Option<UtcDateTime>,
    pub period_end: Option<UtcDateTime>,
    /// What of the period's allowance rolls over, and until when.
    pub rollover_max: Option<i64>,
    pub rollover_until: Option<UtcDateTime>,
}

/// `payments`.
#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = payments)]
pub(crate) struct PaymentRow {
    pub id: String,
    pub account_id: String,
    pub invoice_id: String,
    pub method: String,
    pub status: String,
    pub currency: String,
    pub amount: i64,
    pub amount_received: i64,
    pub amount_refunded: i64,
    pub reference: Option<String>,
    pub gateway_reference: Option<String>,
    pub gateway_payment_id: Option<String>,
    pub failure_reason: Option<String>,
    pub expires_at: Option<UtcDateTime>,
    pub next_action: Option<String>,
    pub confirmation: Option<String>,
    pub history: String,
    pub created_at: UtcDateTime,
    pub updated_at: UtcDateTime,
}

/// `proof_files`.
#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = proof_files)]
pub(crate) struct ProofRow {
    pub id: String,
    pub payment_id: String,
    pub filename: String,
    pub content_type: String,
    pub sha256: String,
    pub data: Vec<u8>,
    pub created_at: UtcDateTime,
}

/// `refunds`.
#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = refunds)]
pub(crate) struct RefundRow {
    pub id: String,
    pub payment_id: String,
    pub account_id: String,
    pub status: String,
    pub currency: String,
    pub amount: i64,
    pub reason: String,
    pub gateway_refund_id: Option<String>,
    pub credits_clawed_back: i64,
    pub credits_deficit: i64,
    pub actor: String,
    pub created_at: UtcDateTime,
    pub updated_at: UtcDateTime,
}

/// `audit_log`.
#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = audit_log)]
pub(crate) struct AuditRow {
    pub id: String,
    pub actor: String,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    pub reason: Option<String>,
    pub before_state: Option<String>,
    pub after_state: Option<String>,
    pub request_id: Option<String>,
    pub created_at: UtcDateTime,
}

/// `outbox_events`.
#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = outbox_events)]
pub(crate) struct OutboxRow {
    pub id: String,
    pub kind: String,
    pub account_id: Option<String>,
    pub payload: String,
    pub created_at: UtcDateTime,
    pub delivered_at: Option<UtcDateTime>,
}

/// `subscriptions`.
#[derive(Debug, Clone, Queryable, Insertable, AsChangeset)]
#[diesel(table_name = subscriptions, treat_none_as_null = true)]
pub(crate) struct SubscriptionRow {
    pub id: String,
    pub account_id: String,
    pub plan_id: String,
    pub status: String,
    pub currency: String,
    pub interval_unit: String,
    pub interval_count: i32,
    pub payment_method: String,
    pub collection_method: String,
    pub gateway_payment_method: Option<String>,
    pub anchor: UtcDateTime,
    pub period_index: i64,
    pub current_period_start: UtcDateTime,
    pub current_period_end: UtcDateTime,
    pub trial_end: Option<UtcDateTime>,
    pub cancel_at_period_end: bool,
    pub trial_reminded: bool,
    pub canceled_at: Option<UtcDateTime>,
    pub latest_invoice_id: Option<String>,
    pub attempt_count: i64,
    pub next_retry_at: Option<UtcDateTime>,
    pub next_action_at: Option<UtcDateTime>,
    pub metadata: String,
    pub created_at: UtcDateTime,
    pub updated_at: UtcDateTime,
    pub version: i64,
    pub claimed_until: Option<UtcDateTime>,
    pub billed_amount: Option<i64>,
    pub billed_from: Option<UtcDateTime>,
    /// JSON of the domain's `PendingChange`.
    pub pending_change: Option<String>,
}

/// `subscription_periods`.
#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = subscription_periods)]
pub(crate) struct SubscriptionPeriodRow {
    pub subscription_id: String,
    pub period_start: UtcDateTime,
    pub period_index: i64,
    pub period_end: UtcDateTime,
    pub plan_id: String,
    pub amount: i64,
    pub currency: String,
    pub credits: i64,
    pub invoice_id: Option<String>,
    pub charged: bool,
    pub created_at: UtcDateTime,
}

/// `credit_lots`.
#[derive(Debug, Clone, Queryable, QueryableByName, Insertable)]
#[diesel(table_name = credit_lots)]
pub(crate) struct LotRow {
    pub id: String,
    pub account_id: String,
    pub source: String,
    pub entry_id: Option<String>,
    pub amount: i64,
    pub remaining: i64,
    pub held: i64,
    pub priority: i16,
    pub expires_at: Option<UtcDateTime>,
    pub expired_at: Option<UtcDateTime>,
    pub rollover_max: Option<i64>,
    pub rollover_until: Option<UtcDateTime>,
    pub created_at: UtcDateTime,
}

/// `lot_allocations`.
#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = lot_allocations)]
pub(crate) struct AllocationRow {
    pub entry_id: String,
    pub lot_id: String,
    pub account_id: String,
    pub amount: i64,
    pub held: i64,
}
