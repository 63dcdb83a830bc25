-- The processor's side of provider webhooks (issue 21 §2; docs/ARCHITECTURE.md, "Webhooks applied").
--
-- One row per (provider, event id) the processor has read from payments.webhooks, written in the same
-- PostgreSQL transaction as the event's effect: the row is the event's idempotency, so a redelivered
-- or duplicated event (the gateway dedups by event id too, but a record may be read again after a
-- crash) applies nothing twice. source_partition and source_offset name the record that applied it:
-- that same record read again (its Kafka transaction aborted after this commit) re-emits what it
-- emitted, any other record is a duplicate. outcome says what became of it; the counter
-- processor.webhooks.applied{outcome} counts the same values.
CREATE TABLE webhook_applications (
    provider         text        NOT NULL,
    event_id         text        NOT NULL,
    event_type       text        NOT NULL,
    payment_id       text        COLLATE "C",
    object_id        text,
    outcome          text        NOT NULL CHECK (outcome IN ('applied', 'stale', 'unknown_object', 'malformed',
                                                             'bound_exceeded', 'ignored')),
    detail           text,
    source_partition integer     NOT NULL,
    source_offset    bigint      NOT NULL,
    applied_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (provider, event_id)
);

-- A payment's disputes, as the provider's dispute events report them (GET /v1/payments/{id} shows them).
-- status is the provider's; closed once the provider closed it (won, lost, resolved), after which no
-- event changes the row. A later event that is not newer (an older status, or any event once closed)
-- is a no-op.
CREATE TABLE disputes (
    dispute_id  text        COLLATE "C" PRIMARY KEY,
    provider    text        NOT NULL,
    payment_id  text        COLLATE "C" NOT NULL,
    amount      bigint      NOT NULL CHECK (amount >= 0),
    currency    char(3)     NOT NULL,
    reason      text,
    status      text        NOT NULL,
    closed      boolean     NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    closed_at   timestamptz
);
CREATE INDEX disputes_by_payment ON disputes (payment_id);

-- A refund the provider made that we never asked for (one made in its dashboard) is a refunds row of
-- its own, decided at once, with the webhook record as its source: 'webhook' tells it from ours.
ALTER TABLE refunds ADD COLUMN origin text NOT NULL DEFAULT 'api' CHECK (origin IN ('api', 'webhook'));
