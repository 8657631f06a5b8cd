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
-- Improvement actions: what the Complaints Department decided to change,
-- from a finding (or on its own), with an owner, a due date and a status.
CREATE TABLE klage_actions (
    id           TEXT    PRIMARY KEY,
    complaint_id TEXT    NOT NULL DEFAULT '', -- the complaint whose finding it came from; empty when none
    area         TEXT    NOT NULL,
    description  TEXT    NOT NULL,
    owner_id     TEXT    NOT NULL,
    owner_role   TEXT    NOT NULL,
    due          BIGINT  NOT NULL,
    status       TEXT    NOT NULL, -- open, done, dropped
    note         TEXT    NOT NULL DEFAULT '',
    created_at   BIGINT  NOT NULL,
    updated_at   BIGINT  NOT NULL
);
CREATE INDEX klage_actions_status ON klage_actions (status, due);
