DROP TABLE plans;
ALTER TABLE credit_packages ADD COLUMN price_amount BIGINT NOT NULL DEFAULT 0 CHECK (price_amount >= 0);
ALTER TABLE credit_packages ADD COLUMN currency TEXT NOT NULL DEFAULT 'USD' CHECK (length(currency) = 3);
UPDATE credit_packages
   SET price_amount = json_extract(prices, '$[0].amount'),
       currency = json_extract(prices, '$[0].currency');
ALTER TABLE credit_packages DROP COLUMN prices;
