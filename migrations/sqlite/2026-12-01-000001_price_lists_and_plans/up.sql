-- Packages are priced per currency: one JSON array of {"amount", "currency"} (integer minor
-- units at the currency's exponent, each currency once; the first is the default). Existing
-- packages keep their one price as a list of one.
ALTER TABLE credit_packages ADD COLUMN prices TEXT NOT NULL DEFAULT '[]';
UPDATE credit_packages
   SET prices = json_array(json_object('amount', price_amount, 'currency', currency));
ALTER TABLE credit_packages DROP COLUMN price_amount;
ALTER TABLE credit_packages DROP COLUMN currency;

-- Subscription plans. Prices as for packages; features and the retry schedule as JSON arrays.
CREATE TABLE plans (
    id                  TEXT PRIMARY KEY,
    name                TEXT NOT NULL,
    slug                TEXT NOT NULL UNIQUE,
    description         TEXT,
    prices              TEXT NOT NULL,
    interval_unit       TEXT NOT NULL CHECK (interval_unit IN ('week', 'month', 'year')),
    interval_count      INTEGER NOT NULL CHECK (interval_count > 0),
    credits_per_period  BIGINT NOT NULL CHECK (credits_per_period >= 0),
    features            TEXT NOT NULL,
    trial_days          INTEGER NOT NULL CHECK (trial_days >= 0),
    retry_days          TEXT NOT NULL,
    final_action        TEXT NOT NULL CHECK (final_action IN ('cancel', 'unpaid', 'leave_past_due')),
    active              BOOLEAN NOT NULL,
    featured            BOOLEAN NOT NULL,
    sort_order          INTEGER NOT NULL,
    stripe_product_id   TEXT,
    paypal_product_id   TEXT,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL
);
