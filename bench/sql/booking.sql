-- POST /api/v1/bookings: the statements create_booking() sends (captured with log_statement): the
-- idempotency lock and look-up, the bookable service and the workers' times, the insert under the
-- exclusion constraint (in a savepoint), the event, the email in the outbox, its job, the expiry
-- timer and the stored answer. A random worker and a random half hour in 2030 (ON CONFLICT DO
-- NOTHING where the endpoint would try the next worker or answer 409).
\set m random(0, :scale / 4 - 1)
\set g 4 * :m + 1
\set w random(1, 3)
\set slot random(1, 5000000)
\set c random(1, 16)
SELECT 1;
BEGIN;
SELECT pg_try_advisory_xact_lock(hashtextextended('idempotency:' || md5('scale-consumer-' || :c) || ':' || random()::text, 0)) AS locked;
SELECT request_hash, response_status, response_body, created_at FROM idempotency_keys WHERE user_id = md5('scale-consumer-' || :c)::uuid AND key = random()::text LIMIT 1;
SELECT * FROM services WHERE id = md5('scale-service-' || :g || '-1')::uuid LIMIT 1;
SELECT * FROM merchants WHERE id = md5('scale-merchant-' || :g)::uuid LIMIT 1;
SELECT * FROM booking_settings WHERE merchant_id = md5('scale-merchant-' || :g)::uuid LIMIT 1;
SELECT id, name FROM workers WHERE merchant_id = md5('scale-merchant-' || :g)::uuid AND active = true AND skills @> '{housekeeping}' ORDER BY created_at, id;
SELECT * FROM schedule_exceptions WHERE worker_id = ANY(ARRAY[md5('scale-worker-' || :g || '-1')::uuid, md5('scale-worker-' || :g || '-2')::uuid, md5('scale-worker-' || :g || '-3')::uuid]) AND on_date >= current_date - 2 ORDER BY on_date, start_minute;
SELECT worker_id, id, blocked FROM bookings WHERE worker_id = ANY(ARRAY[md5('scale-worker-' || :g || '-1')::uuid, md5('scale-worker-' || :g || '-2')::uuid, md5('scale-worker-' || :g || '-3')::uuid]) AND status = ANY('{pending_confirmation,confirmed,in_service}') AND blocked && tstzrange(now() + interval '1 day', now() + interval '3 days');
SELECT weekly FROM worker_schedules WHERE worker_id = md5('scale-worker-' || :g || '-1')::uuid LIMIT 1;
SELECT weekly FROM worker_schedules WHERE worker_id = md5('scale-worker-' || :g || '-2')::uuid LIMIT 1;
SELECT weekly FROM worker_schedules WHERE worker_id = md5('scale-worker-' || :g || '-3')::uuid LIMIT 1;
SAVEPOINT s1;
INSERT INTO bookings (id, consumer_id, merchant_id, service_id, worker_id, kind, status, starts_at, ends_at, blocked, service_name, price_cents, address_text, address_lat, address_lng, contact_name, contact_phone, respond_by) VALUES (gen_random_uuid(), md5('scale-consumer-' || :c)::uuid, md5('scale-merchant-' || :g)::uuid, md5('scale-service-' || :g || '-1')::uuid, md5('scale-worker-' || :g || '-' || :w)::uuid, 'home_visit', 'pending_confirmation', timestamptz '2030-01-01' + :slot * interval '30 minutes', timestamptz '2030-01-01' + :slot * interval '30 minutes' + interval '2 hours', tstzrange(timestamptz '2030-01-01' + :slot * interval '30 minutes', timestamptz '2030-01-01' + :slot * interval '30 minutes' + interval '150 minutes'), '日常保洁 2 小时', 10000, '重庆市幸福路1号1栋', 29.55, 106.55, '顾客', '13812345678', now() + interval '1 hour') ON CONFLICT DO NOTHING;
RELEASE SAVEPOINT s1;
INSERT INTO booking_events (id, booking_id, from_status, to_status, action, actor_id, actor_role) SELECT gen_random_uuid(), id, NULL, 'pending_confirmation', 'book', consumer_id, 'consumer' FROM bookings WHERE worker_id = md5('scale-worker-' || :g || '-' || :w)::uuid ORDER BY created_at DESC LIMIT 1;
SELECT * FROM users WHERE id = md5('scale-consumer-' || :c)::uuid LIMIT 1;
INSERT INTO outbox_emails (id, recipient, subject, body_text) VALUES (gen_random_uuid(), 'scale-consumer-1@scale.lifemarket.local', '预约已提交，等待商家确认：日常保洁 2 小时 / Booking is waiting for the merchant''s confirmation', repeat('您预约的「日常保洁 2 小时」已提交，等待商家确认。', 4));
INSERT INTO jobs (id, kind, payload, run_at) VALUES (gen_random_uuid(), 'bench.noop', '{"email_id": "00000000-0000-0000-0000-000000000000"}', now() + interval '100 years');
INSERT INTO jobs (id, kind, payload, run_at) VALUES (gen_random_uuid(), 'bench.noop', '{"booking_id": "00000000-0000-0000-0000-000000000000"}', now() + interval '100 years');
INSERT INTO idempotency_keys (user_id, key, request_hash, response_status, response_body) VALUES (md5('scale-consumer-' || :c)::uuid, gen_random_uuid()::text, '\x08c8ca230bf7656d6b133e1f442706dd58f92327369169aaf26b487f7dc0ed94', 201, jsonb_build_object('id', gen_random_uuid(), 'kind', 'home_visit', 'status', 'pending_confirmation', 'address', jsonb_build_object('text', '重庆市幸福路1号1栋', 'lat', 29.55, 'lng', 106.55), 'price_cents', 10000, 'service_name', '日常保洁 2 小时')) ON CONFLICT (user_id, key) DO NOTHING;
COMMIT;
