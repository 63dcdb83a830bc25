-- Processor: the provider's object for a payment whose answer was not final (processing,
-- requires_action) or not what was asked (another amount or currency). The row stays 'charging', so
-- no outcome is emitted; the next processing of the payment (its record read again, or a 'stuck'
-- re-drive) asks the provider about this intent instead of creating a charge again.
-- provider_status says why the row is still charging: the provider's status, or 'mismatch: ...'.
ALTER TABLE payments ADD COLUMN provider_intent text, ADD COLUMN provider_status text;
