-- The outgoing e-mail queue: one row per message, written once per (event, kind) through
-- the unique dedupe_key, leased by one worker at a time while it is being sent.
CREATE TABLE emails (
    id               TEXT PRIMARY KEY,
    account_id       TEXT NOT NULL REFERENCES accounts (id),
    event_id         TEXT NOT NULL,
    kind             TEXT NOT NULL,
    dedupe_key       TEXT NOT NULL UNIQUE,
    to_address       TEXT NOT NULL,
    to_name          TEXT,
    subject          TEXT NOT NULL,
    body_text        TEXT NOT NULL,
    body_html        TEXT NOT NULL,
    invoice_id       TEXT REFERENCES invoices (id),
    message_id       TEXT NOT NULL,
    status           TEXT NOT NULL,
    attempts         TEXT NOT NULL,
    next_attempt_at  TEXT NOT NULL,
    lease_until      TEXT,
    resent_from      TEXT REFERENCES emails (id),
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    sent_at          TEXT
);
-- What the worker polls: queued messages by due time.
CREATE INDEX emails_due ON emails (next_attempt_at) WHERE status = 'queued';
CREATE INDEX emails_account ON emails (account_id, id);
