-- Payments through the providers (WeChat Pay v3, Alipay), their refunds and the inbox of the
-- providers' notifications. Owned by `payments`; orders and prepaid bookings wait for them.

CREATE TABLE payments (
    id              uuid PRIMARY KEY,
    subject_kind    text NOT NULL CHECK (subject_kind IN ('order', 'booking')),
    subject_id      uuid NOT NULL,
    consumer_id     uuid NOT NULL REFERENCES users (id),
    merchant_id     uuid NOT NULL REFERENCES merchants (id),
    method          text NOT NULL CHECK (method IN ('wechat', 'alipay')),
    -- Our id of the payment at the provider.
    out_trade_no    text NOT NULL UNIQUE CHECK (out_trade_no ~ '^[0-9A-Za-z_-]{6,32}$'),
    amount_cents    bigint NOT NULL CHECK (amount_cents > 0),
    currency        text NOT NULL DEFAULT 'CNY' CHECK (currency = 'CNY'),
    status          text NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed', 'closed')),
    -- What the app needs to open the provider's payment sheet.
    prepay_id       text,
    sheet           jsonb,
    transaction_id  text UNIQUE,
    refunded_cents  bigint NOT NULL DEFAULT 0,
    expires_at      timestamptz NOT NULL,
    paid_at         timestamptz,
    ended_at        timestamptz,
    created_at      timestamptz NOT NULL,
    -- Whatever asks for refunds, they never add up to more than was paid.
    CONSTRAINT payments_refunds_within_amount CHECK (refunded_cents BETWEEN 0 AND amount_cents),
    CONSTRAINT payments_refunds_only_when_paid CHECK (refunded_cents = 0 OR status = 'succeeded'),
    CONSTRAINT payments_succeeded_has_transaction
        CHECK ((status = 'succeeded') = (transaction_id IS NOT NULL AND paid_at IS NOT NULL))
);
-- At most one payment per order or booking is open or has been taken.
CREATE UNIQUE INDEX payments_one_live_per_subject ON payments (subject_kind, subject_id)
    WHERE status IN ('pending', 'succeeded');
CREATE INDEX payments_consumer_idx ON payments (consumer_id, created_at);

CREATE TABLE payment_refunds (
    id                  uuid PRIMARY KEY,
    payment_id          uuid NOT NULL REFERENCES payments (id),
    -- What asked for it (an order's refund, a booking's cancellation): asked twice, made once.
    source_key          text NOT NULL UNIQUE,
    -- Our id of the refund at the provider.
    out_refund_no       text NOT NULL UNIQUE CHECK (out_refund_no ~ '^[0-9A-Za-z_-]{6,64}$'),
    amount_cents        bigint NOT NULL CHECK (amount_cents > 0),
    reason              text NOT NULL,
    status              text NOT NULL CHECK (status IN ('requested', 'succeeded', 'failed')),
    provider_refund_id  text,
    failure             text,
    created_at          timestamptz NOT NULL,
    ended_at            timestamptz
);
CREATE INDEX payment_refunds_payment_idx ON payment_refunds (payment_id);

-- Every notification as received, with what became of it.
CREATE TABLE payment_notifications (
    id           uuid PRIMARY KEY,
    method       text NOT NULL CHECK (method IN ('wechat', 'alipay')),
    -- The provider's id of the event, once the notification verified.
    event_key    text,
    headers      jsonb NOT NULL,
    body         bytea NOT NULL,
    outcome      text NOT NULL CHECK (outcome IN ('processed', 'duplicate', 'refused', 'flagged')),
    -- The refusal's code, or what did not match the payment.
    reason       text,
    payment_id   uuid REFERENCES payments (id),
    received_at  timestamptz NOT NULL
);
-- An event is processed (or flagged) once, however often and however concurrently it arrives.
CREATE UNIQUE INDEX payment_notifications_event ON payment_notifications (method, event_key)
    WHERE outcome IN ('processed', 'flagged');
CREATE INDEX payment_notifications_flagged_idx ON payment_notifications (received_at)
    WHERE outcome = 'flagged';

-- Orders wait for their payment before they reach the merchant; unpaid ones close.
ALTER TABLE orders DROP CONSTRAINT orders_status_check;
ALTER TABLE orders ADD CONSTRAINT orders_status_check CHECK (status IN ('awaiting_payment',
    'closed', 'placed', 'accepted', 'rejected', 'cancelled', 'ready', 'picked_up', 'delivered',
    'completed', 'failed', 'returned', 'pickup_scheduled', 'pickup_failed', 'requoted',
    'processing', 'out_for_return'));

-- A rejected or expired order is refunded in full; refunds end as the provider says.
ALTER TABLE refunds DROP CONSTRAINT refunds_kind_check;
ALTER TABLE refunds ADD CONSTRAINT refunds_kind_check CHECK (kind IN ('cancellation',
    'failed_delivery', 'operator', 'late_compensation', 'requote_declined', 'after_sales',
    'rejection'));
ALTER TABLE refunds DROP CONSTRAINT refunds_status_check;
ALTER TABLE refunds ADD CONSTRAINT refunds_status_check
    CHECK (status IN ('pending', 'succeeded', 'failed'));

-- Which bookings are paid when booked is the merchant's choice.
ALTER TABLE booking_settings ADD COLUMN prepaid boolean NOT NULL DEFAULT false;
ALTER TABLE bookings ADD COLUMN prepaid boolean NOT NULL DEFAULT false;
ALTER TABLE bookings ADD COLUMN paid_at timestamptz;
