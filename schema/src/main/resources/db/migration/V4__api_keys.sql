-- API keys of tenants. Only the SHA-256 of a key is stored: the key itself is shown once, when it is
-- created, and cannot be recovered from this table. Keys are 32 random bytes, so a plain SHA-256 is
-- enough (no password hashing needed: there is nothing to guess). Lookups go by the hash (unique
-- index); the gateway then compares the hashes in constant time. Revocation sets revoked_at and keeps
-- the row, so the history of who held which key stays auditable.
CREATE TABLE api_keys (
    key_id     text        PRIMARY KEY,
    tenant     text        NOT NULL,
    key_hash   bytea       NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);
