-- The store's single-statement debit (crates/billing-store-diesel/src/repo/ledger/post.rs,
-- DEBIT_SQL: balance, lot allocation, entry, low-balance event) with the same shape and
-- columns; pgbench supplies the account.
-- :n is set by the \set line the harness prepends (1 for the hot account); the account id is
-- computed once in `acct` (pgbench cannot bind text ids; one cheap extra CTE).
WITH acct AS (
    SELECT 'acct_' || lpad(CAST(CAST(:n AS integer) AS text), 26, '0') AS id
), bal AS (
    UPDATE credit_balances
       SET balance = balance + (-1), updated_at = now()
     WHERE account_id = (SELECT id FROM acct) AND (-1 > 0 OR balance - held >= 1)
 RETURNING balance, held, low_balance_threshold
), lots AS (
    SELECT l.id, l.remaining - l.held AS free, l.priority, l.expires_at, l.created_at
      FROM credit_lots l, bal
     WHERE l.account_id = (SELECT id FROM acct) AND l.expired_at IS NULL AND l.remaining > l.held
       FOR UPDATE OF l
), alloc AS (
    SELECT id, LEAST(free, 1 - (SUM(free) OVER w - free)) AS take
      FROM lots
     WHERE expires_at IS NULL OR expires_at > now()
    WINDOW w AS (ORDER BY priority, expires_at NULLS LAST, created_at, id COLLATE "C"
                 ROWS UNBOUNDED PRECEDING)
), taken AS (
    UPDATE credit_lots l SET remaining = l.remaining - a.take
      FROM alloc a WHERE l.id = a.id AND a.take > 0
 RETURNING l.id, a.take
), eid AS (
    SELECT 'cle_' || md5(random()::text) AS id
), entry AS (
    INSERT INTO ledger_entries (id, account_id, kind, amount, held_delta, balance_after, held_after,
                                source_ref, reservation_id, description, metadata, actor, created_at)
    SELECT CASE WHEN (SELECT COALESCE(SUM(take), 0) FROM alloc WHERE take > 0) = 1
                 AND NOT EXISTS (SELECT 1 FROM credit_lots d WHERE d.account_id = (SELECT id FROM acct)
                                    AND d.expired_at IS NULL AND d.expires_at <= now())
                THEN (SELECT id FROM eid) END,
           (SELECT id FROM acct), 'usage_debit', -1, 0,
           bal.balance, bal.held, 'debit:pg-' || md5(random()::text), NULL, 'bench',
           json_build_object('operation', 'bench')::text, 'key_bench', now() FROM bal
 RETURNING *
), allocs AS (
    INSERT INTO lot_allocations (entry_id, lot_id, account_id, amount, held)
    SELECT (SELECT id FROM eid), id, (SELECT id FROM acct), -take, 0 FROM taken
), event AS (
    INSERT INTO outbox_events (id, kind, account_id, payload, created_at, delivered_at)
    SELECT 'evt_' || md5(random()::text), 'credits.low_balance', (SELECT id FROM acct),
           json_build_object('balance', bal.balance)::text, now(), NULL
      FROM bal
     WHERE bal.low_balance_threshold IS NOT NULL
       AND bal.balance + 1 >= bal.low_balance_threshold
       AND bal.balance < bal.low_balance_threshold
 RETURNING 1
)
SELECT entry.*, (SELECT COUNT(*) FROM event) AS crossed FROM entry;
