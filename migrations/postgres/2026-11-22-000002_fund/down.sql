DROP TABLE idempotency_keys, repayment_reversals, repayment_allocations, repayments, installments, loans, contributions, journal_lines, journal_entries, funds CASCADE;
DROP FUNCTION journal_append_only();
