-- Why each invoice was created; existing invoices with a package line were purchases.
ALTER TABLE invoices ADD COLUMN billing_reason TEXT NOT NULL DEFAULT 'manual'
    CHECK (billing_reason IN ('manual', 'purchase', 'subscription_create', 'subscription_cycle'));
UPDATE invoices SET billing_reason = 'purchase'
 WHERE id IN (SELECT invoice_id FROM invoice_lines WHERE credit_package_id IS NOT NULL);

-- A subscription line names its subscription and the period [start, end) it bills.
ALTER TABLE invoice_lines ADD COLUMN subscription_id TEXT;
ALTER TABLE invoice_lines ADD COLUMN period_start TEXT;
ALTER TABLE invoice_lines ADD COLUMN period_end TEXT;

-- Subscriptions. Periods are derived from the anchor; next_action_at is what the scheduler
-- reads (indexed); version guards every change; claimed_until is a scheduler's claim.
CREATE TABLE subscriptions (
    id                      TEXT PRIMARY KEY,
    account_id              TEXT NOT NULL REFERENCES accounts (id),
    plan_id                 TEXT NOT NULL REFERENCES plans (id),
    status                  TEXT NOT NULL CHECK (status IN ('incomplete', 'incomplete_expired',
                                'trialing', 'active', 'past_due', 'unpaid', 'paused', 'canceled')),
    currency                TEXT NOT NULL,
    interval_unit           TEXT NOT NULL CHECK (interval_unit IN ('week', 'month', 'year')),
    interval_count          INTEGER NOT NULL CHECK (interval_count > 0),
    payment_method          TEXT NOT NULL,
    collection_method       TEXT NOT NULL CHECK (collection_method IN ('charge_automatically', 'send_invoice')),
    gateway_payment_method  TEXT,
    anchor                  TEXT NOT NULL,
    period_index            BIGINT NOT NULL CHECK (period_index >= 0),
    current_period_start    TEXT NOT NULL,
    current_period_end      TEXT NOT NULL,
    trial_end               TEXT,
    cancel_at_period_end    BOOLEAN NOT NULL,
    trial_reminded          BOOLEAN NOT NULL,
    canceled_at             TEXT,
    latest_invoice_id       TEXT REFERENCES invoices (id),
    attempt_count           BIGINT NOT NULL CHECK (attempt_count >= 0),
    next_retry_at           TEXT,
    next_action_at          TEXT,
    metadata                TEXT NOT NULL,
    created_at              TEXT NOT NULL,
    updated_at              TEXT NOT NULL,
    version                 BIGINT NOT NULL,
    claimed_until           TEXT
);
-- One live subscription per account and plan.
CREATE UNIQUE INDEX subscriptions_live_per_plan ON subscriptions (account_id, plan_id)
    WHERE status NOT IN ('canceled', 'incomplete_expired');
CREATE INDEX subscriptions_due ON subscriptions (next_action_at) WHERE next_action_at IS NOT NULL;
CREATE INDEX subscriptions_by_account ON subscriptions (account_id, id);

-- One row per billed period: (subscription_id, period_start) is the renewal's idempotency key.
CREATE TABLE subscription_periods (
    subscription_id  TEXT NOT NULL REFERENCES subscriptions (id),
    period_start     TEXT NOT NULL,
    period_index     BIGINT NOT NULL CHECK (period_index >= 0),
    period_end       TEXT NOT NULL,
    plan_id          TEXT NOT NULL REFERENCES plans (id),
    amount           BIGINT NOT NULL CHECK (amount >= 0),
    currency         TEXT NOT NULL,
    credits          BIGINT NOT NULL CHECK (credits >= 0),
    invoice_id       TEXT REFERENCES invoices (id),
    charged          BOOLEAN NOT NULL,
    created_at       TEXT NOT NULL,
    PRIMARY KEY (subscription_id, period_start)
);
