-- The billing portal. A link is a one-time bearer token the platform's backend hands its
-- user; opening it (used_at set, in the same transaction as the session insert) creates a
-- server-side session the cookie points at. Both secrets are stored only as SHA-256 hashes.
CREATE TABLE portal_links (
    token_hash   TEXT PRIMARY KEY,
    account_id   TEXT NOT NULL REFERENCES accounts (id),
    return_url   TEXT NOT NULL,
    flow_kind    TEXT,
    flow_target  TEXT,
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    used_at      TEXT
);

CREATE TABLE portal_sessions (
    id               TEXT PRIMARY KEY,
    token_hash       TEXT NOT NULL UNIQUE,
    account_id       TEXT NOT NULL REFERENCES accounts (id),
    return_url       TEXT NOT NULL,
    flow_kind        TEXT,
    flow_target      TEXT,
    csrf_token       TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    idle_expires_at  TEXT NOT NULL,
    expires_at       TEXT NOT NULL,
    revoked_at       TEXT
);
CREATE INDEX portal_sessions_account ON portal_sessions (account_id);
