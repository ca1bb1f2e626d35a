-- The portfolio sums what was paid per installment: look allocations up by installment.
CREATE INDEX repayment_allocations_installment_idx ON repayment_allocations (installment_id);
