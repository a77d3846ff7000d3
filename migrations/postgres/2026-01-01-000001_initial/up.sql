-- Billing schema, PostgreSQL dialect. Keep in step with ../../sqlite/*/up.sql and
-- crates/billing-store-diesel/src/schema.rs: ids TEXT (prefixed ULIDs), money BIGINT minor
-- units + TEXT currency, enums TEXT, JSON as TEXT, instants TIMESTAMPTZ.

CREATE TABLE accounts (
    id                    TEXT PRIMARY KEY,
    name                  TEXT NOT NULL,
    external_id           TEXT UNIQUE,
    billing_profile       TEXT,
    low_balance_threshold BIGINT CHECK (low_balance_threshold >= 0),
    stripe_customer_id    TEXT,
    metadata              TEXT NOT NULL DEFAULT '{}',
    created_at            TIMESTAMPTZ NOT NULL,
    updated_at            TIMESTAMPTZ NOT NULL
);

CREATE TABLE credit_balances (
    account_id            TEXT PRIMARY KEY REFERENCES accounts (id),
    balance               BIGINT NOT NULL DEFAULT 0,
    held                  BIGINT NOT NULL DEFAULT 0,
    low_balance_threshold BIGINT,
    updated_at            TIMESTAMPTZ NOT NULL,
    CONSTRAINT credit_balances_amounts CHECK (balance >= 0 AND held >= 0 AND held <= balance)
);

CREATE TABLE ledger_entries (
    id             TEXT PRIMARY KEY,
    account_id     TEXT NOT NULL REFERENCES accounts (id),
    kind           TEXT NOT NULL,
    amount         BIGINT NOT NULL,
    held_delta     BIGINT NOT NULL,
    balance_after  BIGINT NOT NULL CHECK (balance_after >= 0),
    held_after     BIGINT NOT NULL CHECK (held_after >= 0),
    source_ref     TEXT NOT NULL,
    reservation_id TEXT,
    description    TEXT NOT NULL,
    metadata       TEXT NOT NULL DEFAULT '{}',
    actor          TEXT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    CONSTRAINT ledger_entries_source_unique UNIQUE (account_id, source_ref)
);
CREATE INDEX ledger_entries_account_id ON ledger_entries (account_id, id);

CREATE TABLE reservations (
    id               TEXT PRIMARY KEY,
    account_id       TEXT NOT NULL REFERENCES accounts (id),
    amount           BIGINT NOT NULL CHECK (amount > 0),
    committed_amount BIGINT NOT NULL DEFAULT 0 CHECK (committed_amount >= 0 AND committed_amount <= amount),
    status           TEXT NOT NULL,
    reference        TEXT NOT NULL,
    metadata         TEXT NOT NULL DEFAULT '{}',
    expires_at       TIMESTAMPTZ NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    CONSTRAINT reservations_reference_unique UNIQUE (account_id, reference)
);
CREATE INDEX reservations_due ON reservations (status, expires_at);
CREATE INDEX reservations_account_due ON reservations (account_id, status, expires_at);

CREATE TABLE credit_packages (
    id                TEXT PRIMARY KEY,
    name              TEXT NOT NULL,
    slug              TEXT NOT NULL UNIQUE,
    description       TEXT,
    credits           BIGINT NOT NULL CHECK (credits > 0),
    price_amount      BIGINT NOT NULL CHECK (price_amount >= 0),
    currency          TEXT NOT NULL CHECK (char_length(currency) = 3),
    discount_bps      INTEGER NOT NULL DEFAULT 0 CHECK (discount_bps >= 0 AND discount_bps <= 10000),
    featured          BOOLEAN NOT NULL DEFAULT FALSE,
    active            BOOLEAN NOT NULL DEFAULT TRUE,
    sort_order        INTEGER NOT NULL DEFAULT 0,
    stripe_price_id   TEXT,
    paypal_product_id TEXT,
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL
);

CREATE TABLE payment_method_configs (
    id             TEXT PRIMARY KEY,
    country        TEXT CHECK (country IS NULL OR char_length(country) = 2),
    method         TEXT NOT NULL,
    display_name   TEXT NOT NULL,
    enabled        BOOLEAN NOT NULL,
    sort_order     INTEGER NOT NULL DEFAULT 0,
    instructions   TEXT,
    bank_details   TEXT,
    wallet_details TEXT,
    currencies     TEXT NOT NULL DEFAULT '[]',
    amount_limits  TEXT NOT NULL DEFAULT '[]',
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX payment_method_configs_country ON payment_method_configs (country);

CREATE TABLE api_keys (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    scope       TEXT NOT NULL,
    account_id  TEXT REFERENCES accounts (id),
    prefix      TEXT NOT NULL,
    secret_hash TEXT NOT NULL UNIQUE,
    created_at  TIMESTAMPTZ NOT NULL,
    revoked_at  TIMESTAMPTZ
);

CREATE TABLE idempotency_keys (
    principal       TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    request_hash    TEXT NOT NULL,
    response_status INTEGER,
    response_body   BYTEA,
    created_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (principal, idempotency_key)
);
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);

CREATE TABLE invoices (
    id               TEXT PRIMARY KEY,
    account_id       TEXT NOT NULL REFERENCES accounts (id),
    number           TEXT UNIQUE,
    status           TEXT NOT NULL,
    currency         TEXT NOT NULL CHECK (char_length(currency) = 3),
    subtotal         BIGINT NOT NULL CHECK (subtotal >= 0),
    discount         BIGINT NOT NULL CHECK (discount >= 0),
    total            BIGINT NOT NULL CHECK (total >= 0),
    amount_paid      BIGINT NOT NULL CHECK (amount_paid >= 0),
    amount_due       BIGINT NOT NULL CHECK (amount_due >= 0),
    due_at           TIMESTAMPTZ,
    billing_snapshot TEXT,
    status_reason    TEXT,
    metadata         TEXT NOT NULL DEFAULT '{}',
    created_at       TIMESTAMPTZ NOT NULL,
    finalized_at     TIMESTAMPTZ,
    paid_at          TIMESTAMPTZ,
    updated_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX invoices_account_id ON invoices (account_id, id);

CREATE TABLE invoice_lines (
    id                TEXT PRIMARY KEY,
    invoice_id        TEXT NOT NULL REFERENCES invoices (id),
    position          INTEGER NOT NULL,
    kind              TEXT NOT NULL,
    description       TEXT NOT NULL,
    quantity          BIGINT NOT NULL CHECK (quantity > 0),
    unit_amount       BIGINT NOT NULL CHECK (unit_amount >= 0),
    discount_amount   BIGINT NOT NULL CHECK (discount_amount >= 0),
    amount            BIGINT NOT NULL,
    credit_package_id TEXT,
    credits           BIGINT CHECK (credits IS NULL OR credits >= 0),
    CONSTRAINT invoice_lines_position_unique UNIQUE (invoice_id, position)
);

CREATE TABLE payments (
    id                 TEXT PRIMARY KEY,
    account_id         TEXT NOT NULL REFERENCES accounts (id),
    invoice_id         TEXT NOT NULL REFERENCES invoices (id),
    method             TEXT NOT NULL,
    status             TEXT NOT NULL,
    currency           TEXT NOT NULL CHECK (char_length(currency) = 3),
    amount             BIGINT NOT NULL CHECK (amount >= 0),
    amount_received    BIGINT NOT NULL CHECK (amount_received >= 0),
    amount_refunded    BIGINT NOT NULL CHECK (amount_refunded >= 0),
    reference          TEXT UNIQUE,
    gateway_reference  TEXT,
    gateway_payment_id TEXT,
    failure_reason     TEXT,
    expires_at         TIMESTAMPTZ,
    next_action        TEXT,
    confirmation       TEXT,
    history            TEXT NOT NULL DEFAULT '[]',
    created_at         TIMESTAMPTZ NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL
);
CREATE INDEX payments_account_id ON payments (account_id, id);
CREATE INDEX payments_invoice_id ON payments (invoice_id);
CREATE INDEX payments_status ON payments (status, id);
CREATE INDEX payments_gateway_reference ON payments (gateway_reference);

CREATE TABLE proof_files (
    id           TEXT PRIMARY KEY,
    payment_id   TEXT NOT NULL REFERENCES payments (id),
    filename     TEXT NOT NULL,
    content_type TEXT NOT NULL,
    sha256       TEXT NOT NULL,
    data         BYTEA NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX proof_files_payment_id ON proof_files (payment_id);

CREATE TABLE refunds (
    id                  TEXT PRIMARY KEY,
    payment_id          TEXT NOT NULL REFERENCES payments (id),
    account_id          TEXT NOT NULL REFERENCES accounts (id),
    status              TEXT NOT NULL,
    currency            TEXT NOT NULL CHECK (char_length(currency) = 3),
    amount              BIGINT NOT NULL CHECK (amount > 0),
    reason              TEXT NOT NULL,
    gateway_refund_id   TEXT,
    credits_clawed_back BIGINT NOT NULL CHECK (credits_clawed_back >= 0),
    credits_deficit     BIGINT NOT NULL CHECK (credits_deficit >= 0),
    actor               TEXT NOT NULL,
    created_at          TIMESTAMPTZ NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL
);
CREATE INDEX refunds_payment_id ON refunds (payment_id, id);
-- The janitor's queue: refunds the gateway never acknowledged.
CREATE INDEX refunds_unacknowledged ON refunds (id) WHERE status = 'pending' AND gateway_refund_id IS NULL;

CREATE TABLE audit_log (
    id           TEXT PRIMARY KEY,
    actor        TEXT NOT NULL,
    action       TEXT NOT NULL,
    target_type  TEXT NOT NULL,
    target_id    TEXT NOT NULL,
    reason       TEXT,
    before_state TEXT,
    after_state  TEXT,
    request_id   TEXT,
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX audit_log_target ON audit_log (target_type, target_id, id);

CREATE TABLE outbox_events (
    id           TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    account_id   TEXT,
    payload      TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    delivered_at TIMESTAMPTZ
);
CREATE INDEX outbox_events_undelivered ON outbox_events (id) WHERE delivered_at IS NULL;
CREATE INDEX outbox_events_account ON outbox_events (account_id, id);

CREATE TABLE webhook_events (
    id           TEXT PRIMARY KEY,
    gateway      TEXT NOT NULL,
    event_id     TEXT NOT NULL,
    event_type   TEXT NOT NULL,
    payload      TEXT NOT NULL,
    received_at  TIMESTAMPTZ NOT NULL,
    processed_at TIMESTAMPTZ,
    CONSTRAINT webhook_events_gateway_event UNIQUE (gateway, event_id)
);

CREATE TABLE invoice_number_sequences (
    prefix     TEXT NOT NULL,
    year       INTEGER NOT NULL,
    next_value BIGINT NOT NULL CHECK (next_value > 0),
    PRIMARY KEY (prefix, year)
);
