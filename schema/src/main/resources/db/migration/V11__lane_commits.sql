-- The gateway's accepted mark, per lane and range of batches instead of per row (issue 17). Each lane
-- numbers its batches (owner_batch, per run). Once a batch's Kafka transaction commits, the lane
-- writes the range of its committed batches to lane_commits, riding on its next statement: one row
-- update per batch where every reservation used to be updated on its own (one row write of four a
-- payment). A reservation is accepted when its state says so (rows settled one by one: restart
-- settlement, settlement of an unknown commit) or when a range of its lane and run covers its batch.
-- A range never spans a batch whose reservations may be left undecided (its transaction failed and
-- they were not released): the lane starts a new range after it, so no later commit covers its rows.
ALTER TABLE payment_intents ADD COLUMN owner_batch bigint;

CREATE TABLE lane_commits (
    owner_run    text        NOT NULL,
    owner_lane   text        NOT NULL,
    from_batch   bigint      NOT NULL,
    to_batch     bigint      NOT NULL,
    committed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (owner_run, owner_lane, from_batch),
    CHECK (from_batch >= 1 AND to_batch >= from_batch)
);

-- Whether a reservation is accepted: the one definition every reader uses.
CREATE FUNCTION intent_accepted(state text, owner_run text, owner_lane text, owner_batch bigint)
RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT state = 'accepted'
        OR (owner_batch IS NOT NULL AND EXISTS (
            SELECT 1 FROM lane_commits c
            WHERE c.owner_run = intent_accepted.owner_run AND c.owner_lane = intent_accepted.owner_lane
              AND intent_accepted.owner_batch BETWEEN c.from_batch AND c.to_batch))
$$;

-- The reservations with the state a reader means: accepted or reserved.
CREATE VIEW payment_intent_states AS
    SELECT payment_id, tenant, idempotency_key, reserved_at,
           CASE WHEN intent_accepted(state, owner_run, owner_lane, owner_batch) THEN 'accepted' ELSE 'reserved' END AS state
    FROM payment_intents;
