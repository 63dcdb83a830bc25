-- The payment id's columns compare bytewise (COLLATE "C") instead of under the database's locale.
-- A payment id is "pay_" and hex (ASCII), so the order and equality of ids are the same in every
-- collation; only the cost differs. Under a locale each B-tree comparison of the unique indexes below
-- goes through strcoll (varstr_cmp): about 5 % of PostgreSQL's samples in the yardstick's profile
-- (docs/BENCHMARKS.md, 2026-12-07). The indexes on these columns are rebuilt by the ALTER; on a large
-- existing table run this in a maintenance window (it takes an ACCESS EXCLUSIVE lock while it rebuilds).
ALTER TABLE payment_intents ALTER COLUMN payment_id TYPE text COLLATE "C";
ALTER TABLE payments ALTER COLUMN payment_id TYPE text COLLATE "C";
ALTER TABLE ledger_entries ALTER COLUMN payment_id TYPE text COLLATE "C";
