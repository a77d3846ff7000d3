-- Plan changes. `billed_*`: what the current plan was billed for in the current period (an
-- upgrade's credit is computed from it, never from the plan's current price);
-- `pending_change`: a change not applied yet (JSON of the domain's PendingChange: an upgrade
-- awaiting its invoice, or a downgrade for the period end).
ALTER TABLE subscriptions ADD COLUMN billed_amount BIGINT CHECK (billed_amount >= 0);
ALTER TABLE subscriptions ADD COLUMN billed_from TIMESTAMPTZ;
ALTER TABLE subscriptions ADD COLUMN pending_change TEXT;
-- Existing subscriptions: billed what their current period's charged row says.
UPDATE subscriptions s SET billed_amount = p.amount, billed_from = p.period_start
  FROM subscription_periods p
 WHERE p.subscription_id = s.id AND p.period_start = s.current_period_start AND p.charged;

-- A plan change's proration invoice.
ALTER TABLE invoices DROP CONSTRAINT invoices_billing_reason_check;
ALTER TABLE invoices ADD CONSTRAINT invoices_billing_reason_check CHECK (billing_reason IN
    ('manual', 'purchase', 'subscription_create', 'subscription_cycle', 'subscription_update'));
