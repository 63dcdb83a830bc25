-- Refunds (issue 21 §1; docs/ARCHITECTURE.md, "Refunds").
--
-- The gateway's side: one row per refund id (re_ + SHA-256 of 'refund', tenant, Idempotency-Key),
-- inserted in the PostgreSQL transaction that holds the payment's row lock (payments, FOR NO KEY
-- UPDATE) while the refund.requested event is published to payments.refunds; it commits only after
-- the Kafka commit, so a committed row is a published refund (no reserved state). amount is concrete:
-- a request without one is resolved to the remainder under the lock.
CREATE TABLE refund_intents (
    refund_id       text        COLLATE "C" PRIMARY KEY,
    payment_id      text        COLLATE "C" NOT NULL,
    tenant          text        NOT NULL,
    idempotency_key text        NOT NULL,
    request_hash    text        NOT NULL,
    amount          bigint      NOT NULL CHECK (amount > 0),
    currency        char(3)     NOT NULL,
    reason          text        CHECK (reason IN ('duplicate', 'fraudulent', 'requested_by_customer')),
    accepted_at     timestamptz NOT NULL
);
-- A payment's refunds: the sum the gateway decides against, and GET /v1/payments/{id}.
CREATE INDEX refund_intents_by_payment ON refund_intents (payment_id);

-- The processor's side: the claim and recovery point of each refund (as payments is of a charge).
-- 'refunding' is committed before the provider is called; 'failed' with failure_code when the provider
-- or the processor's own check (refund_exceeds_remainder, ...) refused it. source_partition and
-- source_offset name the payments.refunds record that claimed it: reading that record again re-emits
-- the stored outcome.
CREATE TABLE refunds (
    refund_id        text        COLLATE "C" PRIMARY KEY,
    payment_id       text        COLLATE "C" NOT NULL,
    tenant           text        NOT NULL,
    request_hash     text        NOT NULL,
    amount           bigint      NOT NULL CHECK (amount > 0),
    currency         char(3)     NOT NULL,
    reason           text,
    status           text        NOT NULL CHECK (status IN ('refunding', 'succeeded', 'failed')),
    failure_code     text,
    provider_ref     text,
    -- A refund the provider made and left pending: its status there (the row stays refunding).
    provider_status  text,
    attempts         integer     NOT NULL DEFAULT 0,
    last_attempt_at  timestamptz,
    source_partition integer     NOT NULL,
    source_offset    bigint      NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    decided_at       timestamptz,
    CHECK ((status = 'failed') = (failure_code IS NOT NULL))
);
CREATE INDEX refunds_by_payment ON refunds (payment_id);

-- One 'refund' ledger entry per refund id, an invariant of the database as one 'charge' per payment
-- is. Repairs' refunds (reconcile) carry no refund id and are not constrained by it. On a large
-- existing table, create the index CONCURRENTLY under this name first.
ALTER TABLE ledger_entries ADD COLUMN refund_id text COLLATE "C";
CREATE UNIQUE INDEX ledger_one_entry_per_refund ON ledger_entries (refund_id) WHERE refund_id IS NOT NULL;
