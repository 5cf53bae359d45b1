-- Which moderation decision closed a report, so that overturning the decision on appeal undoes
-- what it did to the reports (an upheld report becomes dismissed and no longer costs the
-- merchant credit; a dismissed one becomes upheld).
ALTER TABLE review_reports ADD COLUMN decision_id uuid REFERENCES moderation_decisions (id);
CREATE INDEX review_reports_decision_idx ON review_reports (decision_id) WHERE decision_id IS NOT NULL;
