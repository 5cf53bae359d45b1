-- GET /api/v1/merchants/{id}: the statements get_merchant() sends (captured with log_statement),
-- for a random generated merchant. `SELECT 1` is r2d2's check on checkout. No transaction (db::run).
\set g random(1, :scale)
SELECT 1;
SELECT * FROM merchants WHERE id = md5('scale-merchant-' || :g)::uuid LIMIT 1;
SELECT category FROM merchant_categories WHERE merchant_id = md5('scale-merchant-' || :g)::uuid ORDER BY category;
SELECT * FROM services WHERE merchant_id = md5('scale-merchant-' || :g)::uuid AND active = true ORDER BY created_at, id LIMIT 100;
