-- The billing portal. A link is a one-time bearer token the platform's backend hands its
-- user; opening it (used_at set, in the same transaction as the session insert) creates a
-- server-side session the cookie points at. Both secrets are stored only as SHA-256 hashes.
CREATE TABLE portal_links (
    token_hash   TEXT PRIMARY KEY,
    account_id   TEXT NOT NULL REFERENCES accounts (id),
    return_url   TEXT NOT NULL,
    flow_kind    TEXT,
    flow_target  TEXT,
    created_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL,
    used_at      TIMESTAMPTZ
);

CREATE TABLE portal_sessions (
    id               TEXT PRIMARY KEY,
    token_hash       TEXT NOT NULL UNIQUE,
    account_id       TEXT NOT NULL REFERENCES accounts (id),
    return_url       TEXT NOT NULL,
    flow_kind        TEXT,
    flow_target      TEXT,
    csrf_token       TEXT NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    idle_expires_at  TIMESTAMPTZ NOT NULL,
    expires_at       TIMESTAMPTZ NOT NULL,
    revoked_at       TIMESTAMPTZ
);
CREATE INDEX portal_sessions_account ON portal_sessions (account_id);
