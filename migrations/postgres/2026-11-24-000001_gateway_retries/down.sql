DROP INDEX refunds_gateway_refund_id;
DROP INDEX payments_gateway_payment_id;
DROP TABLE gateway_retries;
