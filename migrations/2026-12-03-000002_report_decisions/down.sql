ALTER TABLE review_reports DROP COLUMN decision_id;
