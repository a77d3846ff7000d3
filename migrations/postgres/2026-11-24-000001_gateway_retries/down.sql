DROP TABLE gateway_retries;
