-- Consumer addresses, and contactless-delivery orders: catering takeout and laundry/repair
-- pickup-and-return, with items, handoff proofs, safety checks, refunds and events.

CREATE TABLE addresses (
    id              uuid PRIMARY KEY,
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    label           text,
    recipient_name  text NOT NULL,
    phone           text NOT NULL,
    text            text NOT NULL,
    lat             double precision NOT NULL CHECK (lat BETWEEN -90 AND 90),
    lng             double precision NOT NULL CHECK (lng BETWEEN -180 AND 180),
    drop_point_note text,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX addresses_user_idx ON addresses (user_id, created_at);

CREATE TABLE order_settings (
    merchant_id            uuid PRIMARY KEY REFERENCES merchants (id) ON DELETE CASCADE,
    min_order_cents        bigint NOT NULL DEFAULT 0 CHECK (min_order_cents >= 0),
    packaging_fee_cents    bigint NOT NULL DEFAULT 0 CHECK (packaging_fee_cents >= 0),
    delivery_fee_cents     bigint NOT NULL DEFAULT 0 CHECK (delivery_fee_cents >= 0),
    accept_within_minutes  integer NOT NULL DEFAULT 10 CHECK (accept_within_minutes BETWEEN 1 AND 1440),
    prep_minutes           integer NOT NULL DEFAULT 20 CHECK (prep_minutes BETWEEN 0 AND 1440),
    auto_complete_hours    integer NOT NULL DEFAULT 24 CHECK (auto_complete_hours BETWEEN 1 AND 720),
    -- [[minutes late, compensation in fen], ...] ascending; the highest tier reached applies.
    late_tiers             jsonb NOT NULL DEFAULT '[[10, 300], [20, 600], [40, 1000]]'::jsonb,
    -- Compensation never exceeds this share of the order total.
    late_cap_percent       integer NOT NULL DEFAULT 30 CHECK (late_cap_percent BETWEEN 0 AND 100),
    updated_at             timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE orders (
    id                  uuid PRIMARY KEY,
    consumer_id         uuid NOT NULL REFERENCES users (id),
    merchant_id         uuid NOT NULL REFERENCES merchants (id),
    kind                text NOT NULL CHECK (kind IN ('delivery', 'pickup_return')),
    status              text NOT NULL CHECK (status IN ('placed', 'accepted', 'rejected', 'cancelled', 'ready',
                            'picked_up', 'delivered', 'completed', 'failed', 'returned', 'pickup_scheduled',
                            'pickup_failed', 'requoted', 'processing', 'out_for_return')),
    courier_id          uuid REFERENCES workers (id),
    -- The address as delivered to, whatever happens to the consumer's address book later.
    recipient_name      text NOT NULL,
    recipient_phone     text NOT NULL,
    address_text        text NOT NULL,
    address_lat         double precision NOT NULL,
    address_lng         double precision NOT NULL,
    drop_point_note     text,
    delivery_mode       text NOT NULL CHECK (delivery_mode IN ('contactless', 'in_person')),
    note                text,
    subtotal_cents      bigint NOT NULL CHECK (subtotal_cents >= 0),
    packaging_cents     bigint NOT NULL CHECK (packaging_cents >= 0),
    delivery_fee_cents  bigint NOT NULL CHECK (delivery_fee_cents >= 0),
    total_cents         bigint NOT NULL CHECK (total_cents >= 0),
    -- Payment capture is out of scope: the order is payable for total_cents.
    currency            text NOT NULL DEFAULT 'CNY',
    -- Refunds can never add up to more than the total: enforced here, under the row lock.
    refunded_cents      bigint NOT NULL DEFAULT 0,
    pin                 text NOT NULL CHECK (pin ~ '^[0-9]{4}$'),
    pin_attempts        integer NOT NULL DEFAULT 0,
    respond_by          timestamptz,
    promised_at         timestamptz,
    pickup_at           timestamptz,
    item_count          integer,
    requote_cents       bigint,
    delivered_at        timestamptz,
    late_minutes        integer,
    reason              text,
    version             integer NOT NULL DEFAULT 1,
    -- Changes are dated by order_events; version counts them.
    created_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT orders_refunds_within_total CHECK (refunded_cents BETWEEN 0 AND total_cents)
);
CREATE INDEX orders_consumer_idx ON orders (consumer_id, created_at DESC, id);
CREATE INDEX orders_merchant_idx ON orders (merchant_id, status, created_at);
CREATE INDEX orders_courier_idx ON orders (courier_id, created_at) WHERE courier_id IS NOT NULL;

CREATE TABLE order_items (
    id               uuid PRIMARY KEY,
    order_id         uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    service_id       uuid NOT NULL REFERENCES services (id),
    -- Name and price as ordered.
    name             text NOT NULL,
    unit_price_cents bigint NOT NULL,
    price_unit       text NOT NULL,
    quantity         integer NOT NULL CHECK (quantity BETWEEN 1 AND 999),
    line_total_cents bigint NOT NULL
);
CREATE INDEX order_items_order_idx ON order_items (order_id);

CREATE TABLE handoff_proofs (
    id          uuid PRIMARY KEY,
    order_id    uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    leg         text NOT NULL CHECK (leg IN ('pickup', 'delivery')),
    method      text NOT NULL CHECK (method IN ('contactless', 'in_person', 'locker', 'reception')),
    drop_point  text NOT NULL,
    photo_refs  jsonb NOT NULL DEFAULT '[]'::jsonb,
    pin_checked boolean NOT NULL DEFAULT false,
    item_count  integer,
    recorded_by uuid REFERENCES users (id),
    at          timestamptz NOT NULL DEFAULT now(),
    CHECK (method <> 'contactless' OR jsonb_array_length(photo_refs) > 0)
);
CREATE INDEX handoff_proofs_order_idx ON handoff_proofs (order_id, at);

CREATE TABLE safety_checks (
    id            uuid PRIMARY KEY,
    order_id      uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    role          text NOT NULL CHECK (role IN ('preparer', 'packer', 'courier')),
    temperature_c double precision NOT NULL CHECK (temperature_c BETWEEN 34 AND 43),
    ok            boolean NOT NULL,
    checked_at    timestamptz NOT NULL,
    recorded_by   uuid REFERENCES users (id)
);
CREATE INDEX safety_checks_order_idx ON safety_checks (order_id);

CREATE TABLE refunds (
    id           uuid PRIMARY KEY,
    order_id     uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    amount_cents bigint NOT NULL CHECK (amount_cents > 0),
    kind         text NOT NULL CHECK (kind IN ('cancellation', 'failed_delivery', 'operator', 'late_compensation', 'requote_declined')),
    reason       text NOT NULL,
    status       text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'completed')),
    created_by   uuid REFERENCES users (id),
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refunds_order_idx ON refunds (order_id);

CREATE TABLE order_events (
    id          uuid PRIMARY KEY,
    order_id    uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    from_status text,
    to_status   text NOT NULL,
    action      text NOT NULL,
    actor_id    uuid REFERENCES users (id),
    actor_role  text NOT NULL,
    reason      text,
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX order_events_order_idx ON order_events (order_id, at);
