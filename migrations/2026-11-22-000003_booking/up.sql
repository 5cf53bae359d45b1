-- Booking: worker schedules, merchant booking settings, bookings that can never overlap, seat
-- counters for in-store reservations, and the append-only booking events.

-- A worker's weekly hours in the merchant's local time: {"mon": [["09:00", "12:00"], ...]}.
CREATE TABLE worker_schedules (
    worker_id  uuid PRIMARY KEY REFERENCES workers (id) ON DELETE CASCADE,
    weekly     jsonb NOT NULL DEFAULT '{}'::jsonb,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Days or hours off, and extra hours, on a local date.
CREATE TABLE schedule_exceptions (
    id           uuid PRIMARY KEY,
    worker_id    uuid NOT NULL REFERENCES workers (id) ON DELETE CASCADE,
    on_date      date NOT NULL,
    kind         text NOT NULL CHECK (kind IN ('off', 'extra')),
    -- Minutes since local midnight; NULL for a whole day off.
    start_minute integer CHECK (start_minute BETWEEN 0 AND 1440),
    end_minute   integer CHECK (end_minute BETWEEN 0 AND 1440),
    CHECK ((start_minute IS NULL) = (end_minute IS NULL)),
    CHECK (start_minute IS NULL OR start_minute < end_minute),
    CHECK (kind = 'off' OR start_minute IS NOT NULL)
);
CREATE INDEX schedule_exceptions_worker_idx ON schedule_exceptions (worker_id, on_date);

CREATE TABLE booking_settings (
    merchant_id             uuid PRIMARY KEY REFERENCES merchants (id) ON DELETE CASCADE,
    auto_accept             boolean NOT NULL DEFAULT false,
    min_notice_minutes      integer NOT NULL DEFAULT 120 CHECK (min_notice_minutes BETWEEN 0 AND 10080),
    horizon_days            integer NOT NULL DEFAULT 30 CHECK (horizon_days BETWEEN 1 AND 180),
    buffer_minutes          integer NOT NULL DEFAULT 0 CHECK (buffer_minutes BETWEEN 0 AND 240),
    slot_step_minutes       integer NOT NULL DEFAULT 30 CHECK (slot_step_minutes BETWEEN 5 AND 240),
    free_cancel_hours       integer NOT NULL DEFAULT 24 CHECK (free_cancel_hours BETWEEN 0 AND 168),
    late_cancel_fee_percent integer NOT NULL DEFAULT 50 CHECK (late_cancel_fee_percent BETWEEN 0 AND 100),
    reschedule_limit        integer NOT NULL DEFAULT 2 CHECK (reschedule_limit BETWEEN 0 AND 10),
    updated_at              timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE bookings (
    id               uuid PRIMARY KEY,
    consumer_id      uuid NOT NULL REFERENCES users (id),
    merchant_id      uuid NOT NULL REFERENCES merchants (id),
    service_id       uuid NOT NULL REFERENCES services (id),
    worker_id        uuid REFERENCES workers (id),
    kind             text NOT NULL CHECK (kind IN ('home_visit', 'in_store')),
    status           text NOT NULL CHECK (status IN ('pending_confirmation', 'confirmed', 'in_service',
                         'completed', 'declined', 'expired', 'cancelled', 'no_show')),
    starts_at        timestamptz NOT NULL,
    ends_at          timestamptz NOT NULL,
    -- The worker's time this booking takes: the visit plus the buffer after it.
    blocked          tstzrange NOT NULL,
    party_size       integer NOT NULL DEFAULT 1 CHECK (party_size BETWEEN 1 AND 50),
    -- Copied from the service when booked: later price edits do not change it.
    service_name     text NOT NULL,
    price_cents      bigint NOT NULL,
    currency         text NOT NULL DEFAULT 'CNY',
    -- Where the visit happens (home visits), possibly a relative's address.
    address_text     text,
    address_lat      double precision,
    address_lng      double precision,
    contact_name     text,
    contact_phone    text,
    for_relative     boolean NOT NULL DEFAULT false,
    note             text,
    respond_by       timestamptz,
    reschedule_count integer NOT NULL DEFAULT 0,
    cancelled_by     text CHECK (cancelled_by IN ('consumer', 'merchant', 'operator')),
    cancel_fee_cents bigint,
    cancel_reason    text,
    no_show_party    text CHECK (no_show_party IN ('consumer', 'merchant')),
    version          integer NOT NULL DEFAULT 1,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CHECK (starts_at < ends_at),
    -- Double booking is impossible by construction: one worker, one active booking at a time.
    CONSTRAINT bookings_no_overlap EXCLUDE USING gist (worker_id WITH =, blocked WITH &&)
        WHERE (worker_id IS NOT NULL AND status IN ('pending_confirmation', 'confirmed', 'in_service'))
);
CREATE INDEX bookings_consumer_idx ON bookings (consumer_id, starts_at DESC, id);
CREATE INDEX bookings_merchant_idx ON bookings (merchant_id, starts_at, id);
CREATE INDEX bookings_worker_idx ON bookings (worker_id, starts_at) WHERE worker_id IS NOT NULL;

-- Seats taken per in-store seating: a locked counter, never check-then-insert.
CREATE TABLE seatings (
    service_id uuid NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    starts_at  timestamptz NOT NULL,
    capacity   integer NOT NULL CHECK (capacity > 0),
    taken      integer NOT NULL DEFAULT 0,
    PRIMARY KEY (service_id, starts_at),
    CHECK (taken BETWEEN 0 AND capacity)
);

CREATE TABLE booking_events (
    id          uuid PRIMARY KEY,
    booking_id  uuid NOT NULL REFERENCES bookings (id) ON DELETE CASCADE,
    from_status text,
    to_status   text NOT NULL,
    action      text NOT NULL,
    actor_id    uuid REFERENCES users (id),
    actor_role  text NOT NULL,
    reason      text,
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX booking_events_booking_idx ON booking_events (booking_id, at);
