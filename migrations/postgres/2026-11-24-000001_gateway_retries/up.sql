-- Backoff for the janitors: when a gateway could not answer about a payment (`pay_…`) or a
-- refund (`re_…`), the next question about it waits (5 s, doubling, at most an hour), so one
-- unreachable gateway is not asked about the same thing every sweep, and the ones it can
-- answer about are not starved.
CREATE TABLE gateway_retries (
    subject_id  TEXT PRIMARY KEY,
    attempts    INTEGER NOT NULL CHECK (attempts > 0),
    next_at     TIMESTAMPTZ NOT NULL,
    last_error  TEXT NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);

-- Refund webhooks name the refunded payment by its gateway id (PaymentIntent, PayPal capture).
CREATE INDEX payments_gateway_payment_id ON payments (gateway_payment_id);
-- One refund record per gateway refund: a refund made outside this service and reported by
-- two events at once is recorded once.
CREATE UNIQUE INDEX refunds_gateway_refund_id ON refunds (gateway_refund_id);
