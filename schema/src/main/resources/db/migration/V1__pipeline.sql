-- The pipeline's schema. Gateway and processor share one database: the gateway's GET joins the
-- processor's ledger to report the current status of a payment.

-- Gateway: one row per accepted (or in-flight) idempotency key. payment_id is a SHA-256 of
-- (tenant, idempotency key), so its primary key is also the uniqueness of that pair.
-- fillfactor leaves room for the reserved -> accepted update to stay a HOT update.
CREATE TABLE payment_intents (
    payment_id      text        PRIMARY KEY,
    tenant          text        NOT NULL,
    idempotency_key text        NOT NULL,
    request_hash    text        NOT NULL,
    request         text        NOT NULL,
    state           text        NOT NULL CHECK (state IN ('reserved', 'accepted')),
    reserved_at     timestamptz NOT NULL,
    accepted_at     timestamptz
) WITH (fillfactor = 80);

-- Processor: the idempotency table and the ledger row of each payment, with its recovery point
-- (status) and the Kafka record that claimed it (source_partition, source_offset). Replays of that
-- same record re-emit the stored outcome; any other record with the same key is a duplicate.
-- Two indexes only: the (tenant, key) uniqueness and lookups by payment id.
CREATE TABLE payments (
    tenant           text        NOT NULL,
    idempotency_key  text        NOT NULL,
    payment_id       text        NOT NULL,
    request_hash     text        NOT NULL,
    amount           bigint      NOT NULL CHECK (amount > 0),
    currency         char(3)     NOT NULL,
    customer_id      text        NOT NULL,
    payment_method   text        NOT NULL,
    status           text        NOT NULL CHECK (status IN ('claimed', 'charging', 'succeeded', 'failed')),
    failure_code     text,
    provider_ref     text,
    attempts         integer     NOT NULL DEFAULT 0,
    last_attempt_at  timestamptz,
    source_partition integer     NOT NULL,
    source_offset    bigint      NOT NULL,
    accepted_at      timestamptz NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    decided_at       timestamptz,
    PRIMARY KEY (tenant, idempotency_key)
) WITH (fillfactor = 70);
CREATE UNIQUE INDEX payments_payment_id ON payments (payment_id);

-- Append-only money movements. A correction is a new entry, never an UPDATE.
-- The partial unique index makes "one charge entry per payment" an invariant of the database.
CREATE TABLE ledger_entries (
    entry_id   bigserial   PRIMARY KEY,
    payment_id text        NOT NULL,
    kind       text        NOT NULL CHECK (kind IN ('charge', 'compensation', 'refund')),
    amount     bigint      NOT NULL,
    currency   char(3)     NOT NULL,
    note       text,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX ledger_one_charge_per_payment ON ledger_entries (payment_id) WHERE kind = 'charge';

-- Records that reused a known (tenant, key) with a different request: kept for investigation.
CREATE TABLE idempotency_conflicts (
    conflict_id       bigserial   PRIMARY KEY,
    tenant            text        NOT NULL,
    idempotency_key   text        NOT NULL,
    payment_id        text        NOT NULL,
    stored_hash       text        NOT NULL,
    conflicting_hash  text        NOT NULL,
    source_partition  integer     NOT NULL,
    source_offset     bigint      NOT NULL,
    seen_at           timestamptz NOT NULL DEFAULT now(),
    UNIQUE (source_partition, source_offset)
);
