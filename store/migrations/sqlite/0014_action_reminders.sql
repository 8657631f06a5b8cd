-- klage schema 14: an overdue improvement action is reminded once per
-- lapse: reminded_due is the due time its owner was last reminded of,
-- reminder_lease a timer runner's claim while it delivers the reminder.
ALTER TABLE klage_actions ADD COLUMN reminded_due BIGINT;
ALTER TABLE klage_actions ADD COLUMN reminder_lease BIGINT;
