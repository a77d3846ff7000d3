DROP TABLE subscription_periods;
DROP TABLE subscriptions;
ALTER TABLE invoice_lines DROP COLUMN period_end;
ALTER TABLE invoice_lines DROP COLUMN period_start;
ALTER TABLE invoice_lines DROP COLUMN subscription_id;
ALTER TABLE invoices DROP COLUMN billing_reason;
