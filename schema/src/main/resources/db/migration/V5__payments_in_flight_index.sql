-- The processor counts payments stuck in charging every processor.stuckCheckMs (30 s). Without an
-- index that query scanned the whole payments table to find the few rows in flight: 224-273 ms of
-- PostgreSQL CPU per check at 350,000 rows (pg_stat_statements, docs/BENCHMARKS.md, 2026-12-06),
-- growing with the table. A partial index holds only the rows not yet decided, so it stays small.
-- On a large existing table, create it first with CREATE INDEX CONCURRENTLY under this name: the
-- migration then finds it and blocks nothing.
CREATE INDEX IF NOT EXISTS payments_in_flight ON payments ((coalesce(last_attempt_at, created_at)))
    WHERE status IN ('claimed', 'charging');
