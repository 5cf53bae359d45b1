DROP INDEX merchants_credit_rank_idx;
ALTER TABLE merchants DROP COLUMN credit_tier, DROP COLUMN credit_score;
