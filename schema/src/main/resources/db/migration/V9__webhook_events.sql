-- Provider webhooks received by the gateway (issue 21 §2): one row per (provider, event id), the
-- deduplication of the providers' retries, which arrive more than once and out of order. The gateway
-- inserts the row and publishes the event to payments.webhooks inside one PostgreSQL transaction that
-- it commits only after the Kafka transaction committed: a delivery finding the row is a duplicate,
-- answered 2xx and not published again; a concurrent delivery of the same event waits on the row's
-- uniqueness until the first one's transaction ends. body_sha256 tells a retry of the same body from a
-- different body under a known event id (counted, never published). Only ids, never the payload: the
-- payload is on payments.webhooks, byte for byte as the provider signed it.
CREATE TABLE webhook_events (
    provider    text        NOT NULL CHECK (provider IN ('stripe', 'paypal')),
    event_id    text        NOT NULL,
    event_type  text        NOT NULL,
    object_id   text,
    body_sha256 bytea       NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (provider, event_id)
);
