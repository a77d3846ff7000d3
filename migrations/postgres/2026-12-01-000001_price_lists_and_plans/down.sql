DROP TABLE plans;
ALTER TABLE credit_packages ADD COLUMN price_amount BIGINT NOT NULL DEFAULT 0 CHECK (price_amount >= 0);
ALTER TABLE credit_packages ADD COLUMN currency TEXT NOT NULL DEFAULT 'USD' CHECK (char_length(currency) = 3);
UPDATE credit_packages
   SET price_amount = (prices::json -> 0 ->> 'amount')::bigint,
       currency = prices::json -> 0 ->> 'currency';
ALTER TABLE credit_packages ALTER COLUMN price_amount DROP DEFAULT;
ALTER TABLE credit_packages ALTER COLUMN currency DROP DEFAULT;
ALTER TABLE credit_packages DROP COLUMN prices;
