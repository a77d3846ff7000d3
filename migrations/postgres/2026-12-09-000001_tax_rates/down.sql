DROP TABLE tax_exemptions;
DROP TABLE tax_rates;
