ALTER TABLE invoice_lines DROP COLUMN rollover_until;
ALTER TABLE invoice_lines DROP COLUMN rollover_max;
ALTER TABLE plans DROP COLUMN rollover_max;
DROP TABLE lot_allocations;
DROP TABLE credit_lots;
