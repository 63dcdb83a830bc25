-- Who holds a gateway reservation: the instance (gateway.instanceId), the lane's transactional id
-- (<instanceId>-lane-<n>) and the run (one random id per process start). A restarted instance settles
-- the open reservations of its earlier runs at once, instead of leaving them to the reservation
-- timeout. Rows from before this migration have no owner and are left to the timeout.
-- No index on purpose: an index touching state would make the reserved -> accepted update non-HOT on
-- every request; the settlement query runs once per start and may scan.
ALTER TABLE payment_intents
    ADD COLUMN owner_instance text,
    ADD COLUMN owner_lane     text,
    ADD COLUMN owner_run      text;
