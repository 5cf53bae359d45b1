-- GET /api/v1/merchants?lat=&lng= : the statements find() and decorate() send
-- (src/catalog/discovery.rs), for a random point around one of the nine district centres.
\set d random(0, 8)
\set jlat random(-30000, 30000)
\set jlng random(-30000, 30000)
\set lat CASE WHEN :d = 0 THEN 29.556 WHEN :d = 1 THEN 29.606 WHEN :d = 2 THEN 29.523 WHEN :d = 3 THEN 29.541 WHEN :d = 4 THEN 29.502 WHEN :d = 5 THEN 29.484 WHEN :d = 6 THEN 29.718 WHEN :d = 7 THEN 29.402 ELSE 29.825 END + :jlat / 1000000.0
\set lng CASE WHEN :d = 0 THEN 106.568 WHEN :d = 1 THEN 106.574 WHEN :d = 2 THEN 106.644 WHEN :d = 3 THEN 106.457 WHEN :d = 4 THEN 106.511 WHEN :d = 5 THEN 106.482 WHEN :d = 6 THEN 106.631 WHEN :d = 7 THEN 106.54 ELSE 106.437 END + :jlng / 1000000.0
SELECT 1;
BEGIN;
-- find() first counts the areas covering the point (up to 2000); where there are that many it
-- walks the location index as below (where fewer, it sorts those merchants instead: not
-- mirrored here, so at small scales this ceiling is only approximate).
SELECT count(*) AS n FROM (SELECT 1 FROM merchants m WHERE m.status = 'approved' AND earth_box(ll_to_earth(m.lat, m.lng), m.service_radius_m) @> ll_to_earth(:lat, :lng) LIMIT 2000) t;
SET LOCAL enable_bitmapscan = off;
SELECT * FROM (SELECT m.id, m.display_name, m.address, m.district, m.rating_count, m.rating_average, CASE WHEN true THEN earth_distance(ll_to_earth(m.lat, m.lng), ll_to_earth(:lat, :lng)) END AS distance_m, COALESCE(c.score, 750) AS score, COALESCE(c.tier, 'B') AS tier FROM merchants m LEFT JOIN merchant_credit c ON c.merchant_id = m.id WHERE m.status = 'approved' AND earth_box(ll_to_earth(:lat, :lng), 30000) @> ll_to_earth(m.lat, m.lng) AND earth_distance(ll_to_earth(m.lat, m.lng), ll_to_earth(:lat, :lng)) <= m.service_radius_m ORDER BY ll_to_earth(m.lat, m.lng) <-> ll_to_earth(:lat, :lng) LIMIT 21 + 50) t ORDER BY distance_m, id LIMIT 21;
-- decorate(): the page's ids (here the 20 nearest approved merchants, by the same index).
SELECT merchant_categories.merchant_id, merchant_categories.category FROM merchant_categories WHERE merchant_categories.merchant_id = ANY(ARRAY(SELECT id FROM merchants WHERE status = 'approved' ORDER BY ll_to_earth(lat, lng) <-> ll_to_earth(:lat, :lng) LIMIT 20)) ORDER BY merchant_categories.category;
SELECT * FROM (SELECT s.*, row_number() OVER (PARTITION BY s.merchant_id ORDER BY s.created_at, s.id) AS rn FROM services s WHERE s.merchant_id = ANY(ARRAY(SELECT id FROM merchants WHERE status = 'approved' ORDER BY ll_to_earth(lat, lng) <-> ll_to_earth(:lat, :lng) LIMIT 20)) AND s.active) t WHERE t.rn <= 3;
COMMIT;
