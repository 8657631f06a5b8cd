-- klage schema 13: the timers' schedule. timer_due is when a timer of the
-- lifecycle next acts on the complaint (complaint.Workflow.NextTimer),
-- written with every save; timer_lease is a timer runner's claim on the
-- row. A runner finds what is due through the partial index, so its cost
-- grows with what is due, not with the table. Open complaints start from
-- their earliest running clock: a runner reschedules what it finds not yet
-- due. A purge finds closed, unerased complaints by their closing time.
ALTER TABLE klage_complaints ADD COLUMN timer_due BIGINT;
ALTER TABLE klage_complaints ADD COLUMN timer_lease BIGINT;
UPDATE klage_complaints SET timer_due = next_due WHERE closed_at IS NULL;
CREATE INDEX klage_complaints_timer_due ON klage_complaints (timer_due) WHERE timer_due IS NOT NULL;
CREATE INDEX klage_complaints_purge ON klage_complaints (closed_at) WHERE closed_at IS NOT NULL AND erased_at IS NULL;
