-- klage schema 7: what reports need beside the snapshot. The times to a
-- complaint's milestones, in its clocks' own terms (working time for a
-- clock in working hours), computed by the library on every save
-- (complaint.Workflow.Milestones); NULL until reached, and for complaints
-- last saved before schema 7. The reports select complaints by creation
-- time. Customers' ratings of closed cases, one each.
ALTER TABLE klage_complaints ADD COLUMN first_response_secs BIGINT;
ALTER TABLE klage_complaints ADD COLUMN final_answer_secs BIGINT;
ALTER TABLE klage_complaints ADD COLUMN decision_secs BIGINT;
CREATE INDEX klage_complaints_created ON klage_complaints (created_at);
CREATE TABLE klage_ratings (
    complaint_id         TEXT    PRIMARY KEY REFERENCES klage_complaints (id),
    score                INTEGER NOT NULL,  -- 1 to 5
    comment              TEXT    NOT NULL,  -- the customer's words; emptied by an erasure
    rated_at             BIGINT  NOT NULL,
    complaint_created_at BIGINT  NOT NULL   -- the complaint's, for reports by creation time
);
CREATE INDEX klage_ratings_created ON klage_ratings (complaint_created_at);
