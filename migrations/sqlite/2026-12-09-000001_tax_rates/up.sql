-- Tax rates operators configure. The percentage is kept as text ("19", "7.5") so it stays
-- exact on both backends. One active rate per country and region: the partial unique index
-- makes the store, not a read-then-write, refuse a second.
CREATE TABLE tax_rates (
    id            TEXT PRIMARY KEY,
    display_name  TEXT NOT NULL,
    country       TEXT NOT NULL,
    region        TEXT,
    percentage    TEXT NOT NULL,
    inclusive     BOOLEAN NOT NULL,
    active        BOOLEAN NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE UNIQUE INDEX tax_rates_one_active_per_place
    ON tax_rates (country, COALESCE(region, '')) WHERE active;

-- Accounts an operator exempted from tax, and why (the reason invoices record).
CREATE TABLE tax_exemptions (
    account_id  TEXT PRIMARY KEY REFERENCES accounts (id),
    reason      TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
