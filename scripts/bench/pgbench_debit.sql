-- The store's single-statement debit (crates/billing-store-diesel/src/repo/ledger/post.rs,
-- DEBIT_SQL: the balance row with the head lot's shortcut counters, the entry naming its lot,
-- the low-balance event) with the same shape and columns; pgbench supplies the account.
-- :n is set by the \set line the harness prepends (1 for the hot account); the account id is
-- computed once in `acct` (pgbench cannot bind text ids; one cheap extra CTE).
WITH acct AS (
    SELECT 'acct_' || lpad(CAST(CAST(:n AS integer) AS text), 26, '0') AS id
), bal AS (
    UPDATE credit_balances
       SET balance = balance + (-1), head_avail = head_avail + (-1), head_spent = head_spent - (-1),
           updated_at = now()
     WHERE account_id = (SELECT id FROM acct) AND balance - held >= 1
       AND head_lot IS NOT NULL AND head_avail >= 1
       AND (lots_next_expiry IS NULL OR lots_next_expiry > now())
 RETURNING balance, held, low_balance_threshold, head_lot
), entry AS (
    INSERT INTO ledger_entries (id, account_id, kind, amount, held_delta, balance_after, held_after,
                                source_ref, reservation_id, description, metadata, actor, created_at,
                                lot_id)
    SELECT 'cle_' || md5(random()::text), (SELECT id FROM acct), 'usage_debit', -1, 0,
           bal.balance, bal.held, 'debit:pg-' || md5(random()::text), NULL, 'bench',
           json_build_object('operation', 'bench')::text, 'key_bench', now(), bal.head_lot FROM bal
 RETURNING *
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
