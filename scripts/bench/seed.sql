-- 10,000 accounts with a consistent ledger: one opening entry and its lot each, balance = the entry.
-- Ids are `acct_` + 26 digits (valid ULIDs), so wrk and pgbench can address account n directly.
INSERT INTO accounts (id, name, metadata, created_at, updated_at)
SELECT 'acct_' || lpad(n::text, 26, '0'), 'bench ' || n, '{}', now(), now() FROM generate_series(1, 10000) n;
-- Each balance names its one lot as the head (what a grant through the store leaves).
INSERT INTO credit_balances (account_id, balance, held, updated_at, head_lot, head_avail, head_spent)
SELECT 'acct_' || lpad(n::text, 26, '0'), 1000000000, 0, now(), 'lot_' || lpad(n::text, 26, '0'),
       1000000000, 0
  FROM generate_series(1, 10000) n;
INSERT INTO ledger_entries (id, account_id, kind, amount, held_delta, balance_after, held_after,
                            source_ref, reservation_id, description, metadata, actor, created_at)
SELECT 'cle_' || lpad(n::text, 26, '0'), 'acct_' || lpad(n::text, 26, '0'), 'admin_adjustment',
       1000000000, 0, 1000000000, 0, 'bench:opening', NULL, 'bench opening balance', '{}', 'system', now()
  FROM generate_series(1, 10000) n;
-- Each opening balance is one never-expiring lot, allocated to its entry (as a grant makes it).
INSERT INTO credit_lots (id, account_id, source, entry_id, amount, remaining, held, priority,
                         expires_at, expired_at, rollover_max, rollover_until, created_at)
SELECT 'lot_' || lpad(n::text, 26, '0'), 'acct_' || lpad(n::text, 26, '0'), 'adjustment',
       'cle_' || lpad(n::text, 26, '0'), 1000000000, 1000000000, 0, 20, NULL, NULL, NULL, NULL, now()
  FROM generate_series(1, 10000) n;
INSERT INTO lot_allocations (entry_id, lot_id, account_id, amount, held)
SELECT 'cle_' || lpad(n::text, 26, '0'), 'lot_' || lpad(n::text, 26, '0'),
       'acct_' || lpad(n::text, 26, '0'), 1000000000, 0
  FROM generate_series(1, 10000) n;
ANALYZE;
