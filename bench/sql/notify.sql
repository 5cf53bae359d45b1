-- POST /api/v1/payments/notify/wechat: the statements one payment notification sends after its
-- signature and decryption (read from the code, in its order): the inbox row under the event's
-- unique index, the payment by out_trade_no (locked) and its compare-and-swap, the order
-- (locked), its settings, its compare-and-swap to placed, the event, the consumer's email and
-- job, the merchant and its members' email and job, the expiry timer, and the inbox row's
-- outcome. A scale catering order stands in for the order (updated without changing its status),
-- and each transaction inserts the pending payment it then marks paid, so every statement
-- touches a row.
\set m random(1, :scale / 4)
\set g 4 * :m
\set j random(1, 20)
\set r random(1, 2000000000)
BEGIN;
INSERT INTO payment_notifications (id, method, event_key, headers, body, outcome, received_at) VALUES (md5('bench-n-' || :client_id || clock_timestamp()::text)::uuid, 'wechat', md5(clock_timestamp()::text || random()::text), '{"wechatpay-serial": "PUB_KEY_ID_0119000001092026120300000001", "wechatpay-timestamp": "1764748800", "wechatpay-nonce": "x", "wechatpay-signature": "x"}', convert_to(repeat('x', 900), 'UTF8'), 'processed', now()) ON CONFLICT DO NOTHING;
INSERT INTO payments (id, subject_kind, subject_id, consumer_id, merchant_id, method, out_trade_no, amount_cents, status, expires_at, created_at) SELECT gen_random_uuid(), 'order', gen_random_uuid(), o.consumer_id, o.merchant_id, 'wechat', md5('bench-p-' || :client_id || '-' || :r), 3400, 'pending', now() + interval '1 day', now() FROM orders o WHERE o.id = md5('scale-order-' || :g || '-' || :j)::uuid ON CONFLICT DO NOTHING;
SELECT * FROM payments WHERE out_trade_no = md5('bench-p-' || :client_id || '-' || :r) FOR UPDATE;
UPDATE payments SET status = 'succeeded', transaction_id = md5('bench-t-' || :client_id || '-' || :r), paid_at = now(), ended_at = now() WHERE out_trade_no = md5('bench-p-' || :client_id || '-' || :r) AND status = 'pending' RETURNING *;
SELECT * FROM orders WHERE id = md5('scale-order-' || :g || '-' || :j)::uuid FOR UPDATE;
SELECT * FROM order_settings WHERE merchant_id = md5('scale-merchant-' || :g)::uuid;
UPDATE orders SET respond_by = now() + interval '10 minutes', version = version + 1 WHERE id = md5('scale-order-' || :g || '-' || :j)::uuid RETURNING *;
INSERT INTO order_events (id, order_id, from_status, to_status, action, actor_role) VALUES (gen_random_uuid(), md5('scale-order-' || :g || '-' || :j)::uuid, 'awaiting_payment', 'placed', 'pay', 'system');
SELECT * FROM users WHERE id = (SELECT consumer_id FROM orders WHERE id = md5('scale-order-' || :g || '-' || :j)::uuid);
INSERT INTO outbox_emails (id, recipient, subject, body_text) VALUES (gen_random_uuid(), 'scale-consumer-1@scale.lifemarket.local', '订单 01a2021e 状态：已支付，等待商家接单 / Order 01a2021e: paid, waiting for the merchant', '您的订单 01a2021e 当前状态：已支付，等待商家接单。合计 / Total: 34.00 元');
INSERT INTO jobs (id, kind, payload, run_at) VALUES (gen_random_uuid(), 'bench.noop', '{"email_id": "00000000-0000-0000-0000-000000000000"}', now() + interval '100 years');
SELECT * FROM merchants WHERE id = md5('scale-merchant-' || :g)::uuid;
SELECT u.email, u.id FROM merchant_members mm JOIN users u ON u.id = mm.user_id WHERE mm.merchant_id = md5('scale-merchant-' || :g)::uuid;
INSERT INTO outbox_emails (id, recipient, subject, body_text) VALUES (gen_random_uuid(), 'scale-owner-1@scale.lifemarket.local', '新订单 01a2021e：34.00 元 / New order 01a2021e: ¥34.00', '您有一个新订单 01a2021e，合计 34.00 元。');
INSERT INTO jobs (id, kind, payload, run_at) VALUES (gen_random_uuid(), 'bench.noop', '{"email_id": "00000000-0000-0000-0000-000000000000"}', now() + interval '100 years');
INSERT INTO jobs (id, kind, payload, run_at) VALUES (gen_random_uuid(), 'bench.noop', '{"order_id": "00000000-0000-0000-0000-000000000000"}', now() + interval '100 years');
UPDATE payment_notifications SET outcome = 'processed' WHERE id = md5('bench-n-' || :client_id || clock_timestamp()::text)::uuid;
COMMIT;
