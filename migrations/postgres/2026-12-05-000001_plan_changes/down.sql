-- Proration invoices keep their rows and become manual ones.
UPDATE invoices SET billing_reason = 'manual' WHERE billing_reason = 'subscription_update';
ALTER TABLE invoices DROP CONSTRAINT invoices_billing_reason_check;
ALTER TABLE invoices ADD CONSTRAINT invoices_billing_reason_check CHECK (billing_reason IN
    ('manual', 'purchase', 'subscription_create', 'subscription_cycle'));
ALTER TABLE subscriptions DROP COLUMN pending_change;
ALTER TABLE subscriptions DROP COLUMN billed_from;
ALTER TABLE subscriptions DROP COLUMN billed_amount;
