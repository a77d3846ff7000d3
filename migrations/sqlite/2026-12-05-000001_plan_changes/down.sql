-- Proration invoices keep their rows and become manual ones.
ALTER TABLE invoices ADD COLUMN billing_reason_prev TEXT NOT NULL DEFAULT 'manual'
    CHECK (billing_reason_prev IN ('manual', 'purchase', 'subscription_create', 'subscription_cycle'));
UPDATE invoices SET billing_reason_prev = billing_reason WHERE billing_reason <> 'subscription_update';
ALTER TABLE invoices DROP COLUMN billing_reason;
ALTER TABLE invoices RENAME COLUMN billing_reason_prev TO billing_reason;
ALTER TABLE subscriptions DROP COLUMN pending_change;
ALTER TABLE subscriptions DROP COLUMN billed_from;
ALTER TABLE subscriptions DROP COLUMN billed_amount;
