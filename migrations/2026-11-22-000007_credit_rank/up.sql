-- The credit score and tier kept on the merchant too, so discovery ranks by them from an index
-- instead of joining every row of merchant_credit (which stays the source, with the breakdown).
ALTER TABLE merchants
    ADD COLUMN credit_score integer NOT NULL DEFAULT 750 CHECK (credit_score BETWEEN 0 AND 1000),
    ADD COLUMN credit_tier text NOT NULL DEFAULT 'B' CHECK (credit_tier IN ('A', 'B', 'C', 'D'));
UPDATE merchants m SET credit_score = c.score, credit_tier = c.tier
FROM merchant_credit c WHERE c.merchant_id = m.id;
CREATE INDEX merchants_credit_rank_idx ON merchants (credit_score DESC, id DESC) WHERE status = 'approved';
