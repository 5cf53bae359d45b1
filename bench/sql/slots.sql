-- GET /api/v1/services/{id}/slots (a week): the statements list_slots() sends (captured with
-- log_statement), for a random home-visit service. The slot computation itself is Rust, not SQL.
\set m random(0, :scale / 4 - 1)
\set g 4 * :m + 1
\set k random(1, 3)
SELECT 1;
SELECT * FROM services WHERE id = md5('scale-service-' || :g || '-' || :k)::uuid LIMIT 1;
SELECT * FROM merchants WHERE id = md5('scale-merchant-' || :g)::uuid LIMIT 1;
SELECT * FROM booking_settings WHERE merchant_id = md5('scale-merchant-' || :g)::uuid LIMIT 1;
SELECT id, name FROM workers WHERE merchant_id = md5('scale-merchant-' || :g)::uuid AND active = true AND skills @> '{housekeeping}' ORDER BY created_at, id;
SELECT * FROM schedule_exceptions WHERE worker_id = ANY(ARRAY[md5('scale-worker-' || :g || '-1')::uuid, md5('scale-worker-' || :g || '-2')::uuid, md5('scale-worker-' || :g || '-3')::uuid]) AND on_date >= current_date - 2 ORDER BY on_date, start_minute;
SELECT worker_id, id, blocked FROM bookings WHERE worker_id = ANY(ARRAY[md5('scale-worker-' || :g || '-1')::uuid, md5('scale-worker-' || :g || '-2')::uuid, md5('scale-worker-' || :g || '-3')::uuid]) AND status = ANY('{pending_confirmation,confirmed,in_service}') AND blocked && tstzrange(now() - interval '1 day', now() + interval '8 days');
SELECT worker_id, weekly FROM worker_schedules WHERE worker_id = ANY(ARRAY[md5('scale-worker-' || :g || '-1')::uuid, md5('scale-worker-' || :g || '-2')::uuid, md5('scale-worker-' || :g || '-3')::uuid]);
