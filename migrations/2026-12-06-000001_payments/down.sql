ALTER TABLE bookings DROP COLUMN paid_at;
ALTER TABLE bookings DROP COLUMN prepaid;
ALTER TABLE booking_settings DROP COLUMN prepaid;
UPDATE refunds SET status = 'pending';
ALTER TABLE refunds DROP CONSTRAINT refunds_status_check;
ALTER TABLE refunds ADD CONSTRAINT refunds_status_check CHECK (status IN ('pending', 'completed'));
DELETE FROM refunds WHERE kind = 'rejection';
ALTER TABLE refunds DROP CONSTRAINT refunds_kind_check;
ALTER TABLE refunds ADD CONSTRAINT refunds_kind_check CHECK (kind IN ('cancellation',
    'failed_delivery', 'operator', 'late_compensation', 'requote_declined', 'after_sales'));
UPDATE orders SET status = 'cancelled' WHERE status IN ('awaiting_payment', 'closed');
ALTER TABLE orders DROP CONSTRAINT orders_status_check;
ALTER TABLE orders ADD CONSTRAINT orders_status_check CHECK (status IN ('placed', 'accepted',
    'rejected', 'cancelled', 'ready', 'picked_up', 'delivered', 'completed', 'failed', 'returned',
    'pickup_scheduled', 'pickup_failed', 'requoted', 'processing', 'out_for_return'));
DROP TABLE payment_notifications;
DROP TABLE payment_refunds;
DROP TABLE payments;
