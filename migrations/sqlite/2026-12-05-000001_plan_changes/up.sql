-- Plan changes. `billed_*`: what the current plan was billed for in the current period (an
-- upgrade's credit is computed from it, never from the plan's current price);
-- `pending_change`: a change not applied yet (JSON of the domain's PendingChange: an upgrade
-- awaiting its invoice, or a downgrade for the period end).
ALTER TABLE subscriptions ADD COLUMN billed_amount BIGINT CHECK (billed_amount >= 0);
ALTER TABLE subscriptions ADD COLUMN billed_from TEXT;
ALTER TABLE subscriptions ADD COLUMN pending_change TEXT;
-- Existing subscriptions: billed what their current period's charged row says.
UPDATE subscriptions SET billed_amount = (
    SELECT p.amount FROM subscription_periods p
     WHERE p.subscription_id = subscriptions.id
       AND p.period_start = subscriptions.current_period_start AND p.charged);
UPDATE subscriptions SET billed_from = current_period_start WHERE billed_amount IS NOT NULL;

-- A plan change's proration invoice. SQLite cannot alter a CHECK: the column is rebuilt
-- under the same name (it is in no index).
ALTER TABLE invoices ADD COLUMN billing_reason_next TEXT NOT NULL DEFAULT 'manual'
    CHECK (billing_reason_next IN ('manual', 'purchase', 'subscription_create',
        'subscription_cycle', 'subscription_update'));
UPDATE invoices SET billing_reason_next = billing_reason;
ALTER TABLE invoices DROP COLUMN billing_reason;
ALTER TABLE invoices RENAME COLUMN billing_reason_next TO billing_reason;
