-- payments' primary key moves from (tenant, idempotency_key) to payment_id, which already had a
-- unique index. The payment id is derived from the tenant and the idempotency key (the processor's
-- decoder refuses a record whose id does not derive from them), so the two keys are unique together
-- and the second index only cost writes: one more index entry, with its uniqueness check, for every
-- claim and for every decision (the decision's update cannot be HOT: it changes the status that
-- payments_in_flight's predicate reads). No statement looks payments up by (tenant, idempotency_key).
-- ADD ... USING INDEX adopts the existing index without a rebuild; the old key's index is dropped.
ALTER TABLE payments DROP CONSTRAINT payments_pkey;
ALTER TABLE payments ADD CONSTRAINT payments_pkey PRIMARY KEY USING INDEX payments_payment_id;
