-- POST /api/v1/orders: the statements place_order() sends (captured with log_statement): the
-- idempotency lock and look-up, merchant, service and settings, the order, its item and event, the
-- email in the outbox, its job, the expiry timer and the stored answer.
\set m random(1, :scale / 8)
\set g 8 * :m
\set c random(1, 16)
SELECT 1;
BEGIN;
SELECT pg_try_advisory_xact_lock(hashtextextended('idempotency:' || md5('scale-consumer-' || :c) || ':' || random()::text, 0)) AS locked;
SELECT request_hash, response_status, response_body, created_at FROM idempotency_keys WHERE user_id = md5('scale-consumer-' || :c)::uuid AND key = random()::text LIMIT 1;
SELECT * FROM merchants WHERE id = md5('scale-merchant-' || :g)::uuid LIMIT 1;
SELECT * FROM services WHERE id = md5('scale-service-' || :g || '-1')::uuid LIMIT 1;
SELECT * FROM order_settings WHERE merchant_id = md5('scale-merchant-' || :g)::uuid LIMIT 1;
INSERT INTO orders (id, consumer_id, merchant_id, kind, status, recipient_name, recipient_phone, address_text, address_lat, address_lng, delivery_mode, subtotal_cents, packaging_cents, delivery_fee_cents, total_cents, pin, respond_by) VALUES (md5('bench-order-' || :client_id || '-' || clock_timestamp()::text)::uuid, md5('scale-consumer-' || :c)::uuid, md5('scale-merchant-' || :g)::uuid, 'delivery', 'placed', '顾客', '13812345678', '重庆市幸福路1号1栋', 29.55, 106.55, 'contactless', 3000, 100, 300, 3400, '7870', now() + interval '10 minutes');
INSERT INTO order_items (id, order_id, service_id, name, unit_price_cents, price_unit, quantity, line_total_cents) SELECT gen_random_uuid(), id, md5('scale-service-' || :g || '-1')::uuid, '重庆小面', 1500, 'per_item', 2, 3000 FROM orders WHERE consumer_id = md5('scale-consumer-' || :c)::uuid ORDER BY created_at DESC, id LIMIT 1;
INSERT INTO order_events (id, order_id, from_status, to_status, action, actor_id, actor_role) SELECT gen_random_uuid(), id, NULL, 'placed', 'place', consumer_id, 'consumer' FROM orders WHERE consumer_id = md5('scale-consumer-' || :c)::uuid ORDER BY created_at DESC, id LIMIT 1;
SELECT * FROM users WHERE id = md5('scale-consumer-' || :c)::uuid LIMIT 1;
INSERT INTO outbox_emails (id, recipient, subject, body_text) VALUES (gen_random_uuid(), 'scale-consumer-1@scale.lifemarket.local', '订单 01a2021e 状态：placed / Order 01a2021e: placed', '您的订单 01a2021e 当前状态：placed。 Your order 01a2021e is now placed. 合计 / Total: 34.00 元');
INSERT INTO jobs (id, kind, payload, run_at) VALUES (gen_random_uuid(), 'bench.noop', '{"email_id": "00000000-0000-0000-0000-000000000000"}', now() + interval '100 years');
INSERT INTO jobs (id, kind, payload, run_at) VALUES (gen_random_uuid(), 'bench.noop', '{"order_id": "00000000-0000-0000-0000-000000000000"}', now() + interval '100 years');
INSERT INTO idempotency_keys (user_id, key, request_hash, response_status, response_body) VALUES (md5('scale-consumer-' || :c)::uuid, gen_random_uuid()::text, '\xe5e8e903ec24acc953109c554bc4f7547075359fe0b3055c808fc99f3061cd65', 201, jsonb_build_object('id', gen_random_uuid(), 'kind', 'delivery', 'status', 'placed', 'items', jsonb_build_array(jsonb_build_object('name', '重庆小面', 'quantity', 2)), 'total_cents', 3400)) ON CONFLICT (user_id, key) DO NOTHING;
COMMIT;
