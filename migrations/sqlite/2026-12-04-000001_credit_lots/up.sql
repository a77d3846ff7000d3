-- Credit lots: every grant is a lot with its own remaining credits and optional expiry;
-- debits, holds and clawbacks are allocated across lots in spend order (priority, soonest
-- expiry, oldest), and every entry's allocation is kept (lot_allocations).
--
-- Invariants checked by `billing verify`: per account Σ remaining = balance and
-- Σ held = held; per entry Σ allocations = (amount, held_delta); per lot
-- Σ allocations = (remaining, held).
CREATE TABLE credit_lots (
    id              TEXT PRIMARY KEY,
    account_id      TEXT NOT NULL REFERENCES accounts (id),
    source          TEXT NOT NULL CHECK (source IN ('allowance', 'rollover', 'adjustment',
                        'purchase', 'refund_reversal', 'migrated')),
    -- The granting entry (none for the migrated balance). No foreign key: the lot and its
    -- entry are written by one statement on the hot path.
    entry_id        TEXT,
    amount          BIGINT NOT NULL CHECK (amount >= 0),
    remaining       BIGINT NOT NULL,
    held            BIGINT NOT NULL,
    priority        SMALLINT NOT NULL,
    expires_at      TEXT,
    expired_at      TEXT,
    rollover_max    BIGINT CHECK (rollover_max >= 0),
    rollover_until  TEXT,
    created_at      TEXT NOT NULL,
    CONSTRAINT credit_lots_amounts CHECK (held >= 0 AND held <= remaining AND remaining <= amount)
);
-- Plain (not partial), as on PostgreSQL where that keeps a debit's update HOT.
CREATE INDEX credit_lots_account ON credit_lots (account_id);
CREATE INDEX credit_lots_due ON credit_lots (expires_at)
    WHERE expired_at IS NULL AND expires_at IS NOT NULL;

-- What each entry took from or gave to each lot: `amount` moves remaining, `held` moves held.
CREATE TABLE lot_allocations (
    entry_id    TEXT NOT NULL,
    lot_id      TEXT NOT NULL REFERENCES credit_lots (id),
    account_id  TEXT NOT NULL,
    amount      BIGINT NOT NULL,
    held        BIGINT NOT NULL,
    PRIMARY KEY (entry_id, lot_id)
);

-- The hot path's shortcut, kept on the balance row under its lock: the lot the next debit
-- takes from (the first in spend order with free credits), how many free credits it has
-- left for debits that take only from it, how many such debits took and are not yet
-- written into the lot's row (folded in by the next operation that reads lots), and the
-- soonest expiry among the unexpired lots (a debit at or after it takes the full path).
-- A debit that fits writes only the balance row and its entry, whose lot_id is then its
-- allocation.
ALTER TABLE credit_balances ADD COLUMN head_lot TEXT;
ALTER TABLE credit_balances ADD COLUMN head_avail BIGINT NOT NULL DEFAULT 0;
ALTER TABLE credit_balances ADD COLUMN head_spent BIGINT NOT NULL DEFAULT 0;
ALTER TABLE credit_balances ADD COLUMN lots_next_expiry TEXT;
ALTER TABLE ledger_entries ADD COLUMN lot_id TEXT;

-- Plans: the rollover cap (NULL: the allowance expires at period end).
ALTER TABLE plans ADD COLUMN rollover_max BIGINT CHECK (rollover_max >= 0);
-- A subscription line's allowance rollover, copied into the lot its payment grants.
ALTER TABLE invoice_lines ADD COLUMN rollover_max BIGINT;
ALTER TABLE invoice_lines ADD COLUMN rollover_until TEXT;

-- Existing balances: one lot per account that has entries, holding today's balance and
-- holds, never expiring. Every existing entry is allocated to it, so the per-entry and
-- per-lot sums hold from the first day.
INSERT INTO credit_lots (id, account_id, source, entry_id, amount, remaining, held, priority,
                         expires_at, expired_at, rollover_max, rollover_until, created_at)
SELECT 'lot_' || lower(hex(randomblob(13))), b.account_id, 'migrated', NULL,
       b.balance, b.balance, b.held, 30, NULL, NULL, NULL, NULL, b.updated_at
  FROM credit_balances b
 WHERE EXISTS (SELECT 1 FROM ledger_entries e WHERE e.account_id = b.account_id);
INSERT INTO lot_allocations (entry_id, lot_id, account_id, amount, held)
SELECT e.id, l.id, e.account_id, e.amount, e.held_delta
  FROM ledger_entries e
  JOIN credit_lots l ON l.account_id = e.account_id AND l.source = 'migrated'
 WHERE e.amount <> 0 OR e.held_delta <> 0;
UPDATE credit_balances
   SET head_lot = (SELECT l.id FROM credit_lots l
                    WHERE l.account_id = credit_balances.account_id AND l.remaining > l.held),
       head_avail = balance - held
 WHERE balance > held;
